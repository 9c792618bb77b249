/** The storyboard's WebVTT thumbnails track: cues whose text is ``storyboard/N.jpg#xywh=x,y,w,h``. */

export interface Thumbnail {
  start: number
  end: number
  /** the sprite sheet's URL, resolved against the track's */
  url: string
  x: number
  y: number
  w: number
  h: number
}

function seconds(stamp: string): number {
  const parts = stamp.trim().split(':').map(Number)
  return parts.reduce((total, part) => total * 60 + part, 0)
}

/** The thumbnails of a track read from ``trackUrl``; cues it cannot read are left out. */
export function parseThumbnails(text: string, trackUrl: string): Thumbnail[] {
  const found: Thumbnail[] = []
  const blocks = text.replace(/\r\n?/g, '\n').split(/\n\n+/)
  for (const block of blocks) {
    const lines = block.split('\n').filter((line) => line.trim() !== '')
    const timing = lines.findIndex((line) => line.includes('-->'))
    if (timing < 0 || timing + 1 >= lines.length) continue
    const [from, to] = lines[timing].split('-->').map((part) => part.trim().split(/\s+/)[0])
    const target = lines[timing + 1].trim()
    const hash = target.indexOf('#xywh=')
    if (hash < 0) continue
    const box = target.slice(hash + 6).split(',').map(Number)
    if (box.length !== 4 || box.some((n) => !Number.isFinite(n))) continue
    const base = typeof window === 'undefined' ? 'http://localhost/' : window.location.href
    found.push({
      start: seconds(from),
      end: seconds(to),
      url: new URL(target.slice(0, hash), new URL(trackUrl, base)).toString(),
      x: box[0],
      y: box[1],
      w: box[2],
      h: box[3],
    })
  }
  return found
}

/** The thumbnail shown at ``time`` (the last one starting before it). */
export function thumbnailAt(thumbnails: Thumbnail[], time: number): Thumbnail | null {
  let chosen: Thumbnail | null = null
  for (const thumb of thumbnails) {
    if (thumb.start <= time + 1e-6) chosen = thumb
    else break
  }
  return chosen
}
