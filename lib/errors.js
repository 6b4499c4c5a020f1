'use strict';
// Errors with codes, and the argument checks every public function shares.
// All codes start with ERR_MEMCTL_.

function withCode(err, code) {
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return err;
}

const typeError = (code, message) => withCode(new TypeError(message), code);
const rangeError = (code, message) => withCode(new RangeError(message), code);
const error = (code, message) => withCode(new Error(message), code);

// A method or getter called on something that is not an instance of its
// class (LRUCache.prototype.get.call({}), a getter read on the prototype).
function invalidThis(className, receiver) {
  let what;
  if (receiver === undefined) what = 'undefined';
  else if (receiver !== null && typeof receiver === 'object' && Object.hasOwn(receiver, 'constructor')) what = 'a prototype';
  else what = describe(receiver);
  return typeError('ERR_MEMCTL_INVALID_THIS', `a ${className} method was called on ${what}, not on a ${className}`);
}

function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'object') return value.constructor ? `an instance of ${value.constructor.name}` : 'an object';
  if (typeof value === 'function') return 'a function';
  return `${typeof value} ${String(value)}`;
}

// typeof value must be `type` (what names it in the message); returns value.
function checkTypeof(name, value, type, what) {
  if (typeof value !== type) {
    throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `${name} must be ${what}, got ${describe(value)}`);
  }
  return value;
}

// Checks that value is an integer in [min, max]; returns it.
function checkInteger(name, value, min = 0, max = Number.MAX_SAFE_INTEGER) {
  checkTypeof(name, value, 'number', 'a number');
  if (!Number.isInteger(value) || value < min || value > max) {
    throw rangeError('ERR_MEMCTL_OUT_OF_RANGE', `${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

// Like checkInteger but lets undefined through (returns the default).
function optionalInteger(name, value, def, min, max) {
  return value === undefined ? def : checkInteger(name, value, min, max);
}

// A finite number >= min (durations in milliseconds may be fractional).
function checkNumber(name, value, min = 0, max = Number.MAX_VALUE) {
  checkTypeof(name, value, 'number', 'a number');
  if (Number.isNaN(value) || value < min || value > max) {
    throw rangeError('ERR_MEMCTL_OUT_OF_RANGE', `${name} must be a number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

const checkBoolean = (name, value) => checkTypeof(name, value, 'boolean', 'a boolean');
const checkFunction = (name, value) => checkTypeof(name, value, 'function', 'a function');
const checkString = (name, value) => checkTypeof(name, value, 'string', 'a string');

// Options must be undefined or a plain object; returns an object.
function checkOptions(name, value) {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `${name} must be an object, got ${describe(value)}`);
  }
  return value;
}

function checkOneOf(name, value, allowed) {
  if (!allowed.includes(value)) {
    throw typeError('ERR_MEMCTL_INVALID_ARG_VALUE', `${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describe(value)}`);
  }
  return value;
}

module.exports = {
  withCode, typeError, rangeError, error, invalidThis, describe,
  checkInteger, optionalInteger, checkNumber, checkBoolean, checkFunction,
  checkString, checkOptions, checkOneOf,
};
