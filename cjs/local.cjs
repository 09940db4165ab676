'use strict';
module.exports = require('./load.cjs')(() => require('../dist/src/local/index.js'), 'grip-lambda/local');
