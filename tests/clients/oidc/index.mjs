export { startProvider, newKey, freePort } from "./provider.mjs";
export { startTiny } from "./tiny.mjs";
export { Browser } from "./browser.mjs";
