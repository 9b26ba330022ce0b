// axios uses follow-redirects only when maxRedirects > 0. sources/http.ts always sets 0 and
// follows same-origin redirects itself (credentials must never cross origins), so the plain
// node modules are all axios needs here.
module.exports = { http: require('node:http'), https: require('node:https') };
