// xlsx 0.18.5 reads files through its own `require('fs')`; 0.20 wants the caller to pass `fs`.
module.exports = Object.assign({}, require('xlsx-registry'), { set_fs() {} })
