package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.yaml
var openapiYAML []byte // read-only: the embedded document

// loadOpenAPI parses and validates the embedded OpenAPI 3 document.
func loadOpenAPI(ctx context.Context) (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openapiYAML)
	if err != nil {
		return nil, fmt.Errorf("parse openapi.yaml: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not valid OpenAPI 3: %w", err)
	}
	return doc, nil
}

// openapiJSON renders the document as JSON once.
func openapiJSON(ctx context.Context, version string) ([]byte, error) {
	doc, err := loadOpenAPI(ctx)
	if err != nil {
		return nil, err
	}
	if version != "" {
		doc.Info.Version = version
	}
	return json.Marshal(doc)
}

// openapi: GET /api/openapi.json.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	if s.openapiDoc == nil {
		return fmt.Errorf("the OpenAPI document did not load: %w", s.openapiErr)
	}
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(s.openapiDoc)
	return err
}
