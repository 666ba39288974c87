// SPDX-License-Identifier: Apache-2.0
// The test output the integration scripts read: "ok - ..." and
// "FAILED - ...: detail" lines, then a count, and the exit code.
'use strict';

let checks = 0;
let failures = 0;

function check(what, ok, detail) {
  checks += 1;
  if (ok) {
    console.log(`ok - ${what}`);
  } else {
    failures += 1;
    console.log(`FAILED - ${what}${detail === undefined ? '' : `: ${detail}`}`);
  }
}

function checkEq(what, expected, actual) {
  const e = JSON.stringify(expected);
  const a = JSON.stringify(actual);
  check(what, e === a, `expected ${e}, got ${a}`);
}

// Prints the count and exits: 0 when every check passed.
function finish() {
  console.log(`${checks - failures} passed, ${failures} failed`);
  process.exit(failures === 0 ? 0 : 1);
}

module.exports = { check, checkEq, finish };
