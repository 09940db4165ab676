'use strict';
module.exports = require('./load.cjs')(() => require('../dist/src/client/index.js'), 'grip-lambda/client');
