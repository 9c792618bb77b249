import { createApp } from "vue";
import App from "./App.vue";
import { i18n } from "./i18n";
import { router, start } from "./router";
import "./style.css";

start(location.pathname);
createApp(App).use(i18n).use(router).mount("#app");
