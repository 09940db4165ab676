'use strict';
module.exports = require('./load.cjs')(() => require('../dist/src/presence/index.js'), 'grip-lambda/presence');
