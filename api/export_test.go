package api

import "github.com/gapmap/gapmap/api/apitest"

// Validating is apitest.Validating for the external tests (package
// api_test): it checks every response against the OpenAPI document.
var Validating = apitest.Validating
