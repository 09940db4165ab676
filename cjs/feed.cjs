'use strict';
module.exports = require('./load.cjs')(() => require('../dist/src/feed/index.js'), 'grip-lambda/feed');
