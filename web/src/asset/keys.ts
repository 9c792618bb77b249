// The editor's keys on the asset page: J/K/L shuttle, K+J / K+L one frame, space play/pause,
// ←/→ one frame (with Shift one second), I/O mark in and out, X clears the marks.
// Keys typed into a form field are the field's.

import { onBeforeUnmount, onMounted } from "vue";
import type { Player } from "./player";

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  const type = (target as HTMLInputElement).type;
  return !["button", "checkbox", "radio", "range", "submit", "reset"].includes(type);
}

const ARROWS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"]);
const OWN_ARROWS = new Set(["slider", "listbox", "option", "menuitem", "combobox", "tab", "radio"]);

/** A control that moves with the arrow keys itself (a slider, a list, tabs). */
function ownsArrows(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && OWN_ARROWS.has(target.getAttribute("role") ?? "");
}

const PRESSED = new Set(["button", "tab", "option", "checkbox", "radio", "switch", "menuitem", "link"]);

/** A control that space presses (a button, a link, a tab...), the timeline's slider excepted. */
function activates(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement) return true;
  return PRESSED.has(target.getAttribute("role") ?? "");
}

export function useEditorKeys(player: Player, enabled: () => boolean = () => true): void {
  let holdingK = false;

  const down = (event: KeyboardEvent): void => {
    if (!enabled() || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (ARROWS.has(event.key) && ownsArrows(event.target)) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    let handled = true;
    switch (key) {
      case " ":
        // a focused button, link, tab or option is pressed by space: leave it that
        if (activates(event.target)) return;
        player.toggle();
        break;
      case "k":
        holdingK = true;
        player.pause();
        break;
      case "j":
        if (holdingK) player.step(-1);
        else player.backward();
        break;
      case "l":
        if (holdingK) player.step(1);
        else player.forward();
        break;
      case "ArrowLeft":
        if (event.shiftKey) player.seek(player.state.time - 1);
        else player.step(-1);
        break;
      case "ArrowRight":
        if (event.shiftKey) player.seek(player.state.time + 1);
        else player.step(1);
        break;
      case "i":
        player.markInHere();
        break;
      case "o":
        player.markOutHere();
        break;
      case "x":
        player.clearMarks();
        break;
      default:
        handled = false;
    }
    if (handled) event.preventDefault();
  };
  const up = (event: KeyboardEvent): void => {
    if (event.key.toLowerCase() === "k") holdingK = false;
  };
  onMounted(() => {
    window.addEventListener("keydown", down);
    window.addEventListener("keyup", up);
  });
  onBeforeUnmount(() => {
    window.removeEventListener("keydown", down);
    window.removeEventListener("keyup", up);
  });
}
