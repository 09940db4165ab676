'use strict';
module.exports = require('./load.cjs')(() => require('../dist/src/index.js'), 'grip-lambda');
