export { startProvider, newKey, freePort } from "./provider.mjs";
export { startTiny, genericDocument } from "./tiny.mjs";
export { Browser } from "./browser.mjs";
export * as recorded from "./recorded.mjs";
