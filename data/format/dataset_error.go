package format

// DatasetError is a failure to read the exchange files of a directory
// (ReadDir): Err is a *data.ValidationError listing every problem, or an
// I/O error. Callers that read other files as well wrap ReadDir's error in
// it, so their callers can tell which input failed; it reads as Prefix
// followed by Err.
type DatasetError struct {
	Dir    string
	Prefix string // e.g. "read DIR: ", or ""
	Err    error
}

func (e *DatasetError) Error() string { return e.Prefix + e.Err.Error() }
func (e *DatasetError) Unwrap() error { return e.Err }
