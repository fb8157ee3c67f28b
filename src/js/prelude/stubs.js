
(function (load, names) {
  'use strict';
  for (const name of names) {
    if (Object.getOwnPropertyDescriptor(globalThis, name)) continue;
    Object.defineProperty(globalThis, name, {
      configurable: true, enumerable: false,
      get() {
        load();
        const d = Object.getOwnPropertyDescriptor(globalThis, name);
        return d && 'value' in d ? d.value : undefined;
      },
      set(value) {
        Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
      },
    });
  }
})
