// axios's Node build imports `form-data` (and through it mime-db, 137 KB) for multipart
// uploads. The extension never sends multipart bodies: Prometheus queries go as
// application/x-www-form-urlencoded strings. An empty class keeps axios's instanceof checks
// false without the weight.
class FormData {}
module.exports = FormData;
module.exports.default = FormData;
