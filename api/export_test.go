package api

// Validating is validating for the external tests (package api_test): it
// checks every response against the OpenAPI document.
var Validating = validating
