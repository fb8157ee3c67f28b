(function (native, handlers) {
  'use strict';
  const isHandler = (h) => typeof h === 'function' || typeof h === 'string';
  const optString = (where, name, v) => {
    if (v !== undefined && v !== null && typeof v !== 'string') throw new TypeError(where + ': ' + name + ' must be a string');
    return v === undefined || v === null ? null : v;
  };
  globalThis.registerMCPTool = function registerMCPTool(name, description, inputSchema, handler, options) {
    const where = 'registerMCPTool(name, description, inputSchema, handler, options)';
    if (typeof name !== 'string') throw new TypeError(where + ': name must be a string, got ' + typeof name);
    if (typeof description !== 'string') throw new TypeError(where + ': description must be a string');
    if (inputSchema === undefined || inputSchema === null) inputSchema = { type: 'object' };
    if (typeof inputSchema !== 'object') throw new TypeError(where + ': inputSchema must be a JSON Schema object such as {type: "object", properties: {...}}');
    if (!isHandler(handler)) throw new TypeError(where + ': handler must be a function or the name of a global function');
    const o = options === undefined || options === null ? {} : options;
    if (typeof o !== 'object') throw new TypeError(where + ': options must be an object {outputSchema, annotations, title}');
    const spec = {
      name, description, title: optString(where, 'options.title', o.title),
      input_schema: JSON.stringify(inputSchema),
      output_schema: o.outputSchema === undefined || o.outputSchema === null ? null : JSON.stringify(o.outputSchema),
      annotations: o.annotations === undefined || o.annotations === null ? null : JSON.stringify(o.annotations),
    };
    handlers[native.register('tool', JSON.stringify(spec))] = handler;
  };
  globalThis.registerMCPResource = function registerMCPResource(uri, name, description, handler, options) {
    const where = 'registerMCPResource(uriOrTemplate, name, description, handler, options)';
    if (typeof uri !== 'string' || uri === '') throw new TypeError(where + ': uriOrTemplate must be a URI such as "note://list" or a template such as "note://{id}"');
    if (typeof name !== 'string') throw new TypeError(where + ': name must be a string');
    if (typeof description !== 'string') throw new TypeError(where + ': description must be a string');
    if (!isHandler(handler)) throw new TypeError(where + ': handler must be a function or the name of a global function');
    const o = options === undefined || options === null ? {} : options;
    if (o.complete !== undefined && !isHandler(o.complete)) throw new TypeError(where + ': options.complete must be a function');
    const spec = {
      uri, name, description, template: /\{[^}]*\}/.test(uri),
      title: optString(where, 'options.title', o.title),
      mime_type: optString(where, 'options.mimeType', o.mimeType),
      complete: o.complete !== undefined,
    };
    const keys = native.register('resource', JSON.stringify(spec)).split('\n');
    handlers[keys[0]] = handler;
    if (spec.complete) handlers[keys[1]] = o.complete;
  };
  globalThis.registerMCPPrompt = function registerMCPPrompt(name, description, args, handler, options) {
    const where = 'registerMCPPrompt(name, description, arguments, handler)';
    if (typeof name !== 'string') throw new TypeError(where + ': name must be a string');
    if (typeof description !== 'string') throw new TypeError(where + ': description must be a string');
    if (args === undefined || args === null) args = [];
    if (!Array.isArray(args)) throw new TypeError(where + ': arguments must be an array of {name, description, required}');
    if (!isHandler(handler)) throw new TypeError(where + ': handler must be a function or the name of a global function');
    const o = options === undefined || options === null ? {} : options;
    if (o.complete !== undefined && !isHandler(o.complete)) throw new TypeError(where + ': options.complete must be a function');
    const spec = {
      name, description, title: optString(where, 'options.title', o.title),
      arguments: args.map((a, i) => {
        if (a === null || typeof a !== 'object' || typeof a.name !== 'string') throw new TypeError(where + ': arguments[' + i + '] must be {name, description, required}');
        return { name: a.name, description: optString(where, 'arguments[' + i + '].description', a.description), required: a.required === true };
      }),
      complete: o.complete !== undefined,
    };
    const keys = native.register('prompt', JSON.stringify(spec)).split('\n');
    handlers[keys[0]] = handler;
    if (spec.complete) handlers[keys[1]] = o.complete;
  };
  globalThis.notifyMCPResourceUpdated = function notifyMCPResourceUpdated(uri) {
    if (typeof uri !== 'string' || uri === '') throw new TypeError('notifyMCPResourceUpdated(uri): uri must be the resource URI that changed');
    native.updated(uri);
  };
})
