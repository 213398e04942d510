package importer

import (
	"context"
	"errors"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"golang.org/x/sync/errgroup"
)

// readFunc is the shape of data/format's streaming readers.
type readFunc[T any] func(ctx context.Context, path string, errs *data.ValidationError, fn func(row int, v T) error) error

type item[T any] struct {
	row int
	v   T
}

const (
	batchSize     = 1024 // rows per channel message
	channelDepth  = 4    // batches in flight between two stages
	progressEvery = 1 << 14
)

// pipeline streams the records of path through three goroutines:
//
//	read (data/format: parse and check) → conv (area, H3, checks) → sink
//
// with bounded channels of batches between them, so at most a few thousand
// rows are in memory whatever the size of the file. conv returns false for
// a row it rejected (it reported why). sink consumes the converted rows
// from its Source (for the fast path: a binary COPY). It returns the
// number of records read and of rows given to the sink. The problems the
// reader finds go to ferrs; a file that cannot be read at all is one of
// them, not an error.
func pipeline[T, O any](ctx context.Context, read readFunc[T], path string, ferrs *data.ValidationError,
	conv func(row int, v T) (O, bool), progress func(int64), sink func(postgis.Source[O]) error) (int64, int64, error) {
	parent := ctx
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	in := make(chan []item[T], channelDepth)
	out := make(chan []O, channelDepth)
	freeIn := make(chan []item[T], 2*channelDepth)
	freeOut := make(chan []O, 2*channelDepth)

	var g errgroup.Group
	var nread int64
	g.Go(func() error {
		defer close(in)
		b := make([]item[T], 0, batchSize)
		send := func() error {
			select {
			case in <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case b = <-freeIn:
				b = b[:0]
			default:
				b = make([]item[T], 0, batchSize)
			}
			return nil
		}
		err := read(ctx, path, ferrs, func(row int, v T) error {
			nread++
			b = append(b, item[T]{row, v})
			if len(b) == batchSize {
				return send()
			}
			return nil
		})
		var ve *data.ValidationError
		if errors.As(err, &ve) && ve == ferrs {
			err = nil // the file could not be read: reported in ferrs
		}
		if err == nil && len(b) > 0 {
			err = send()
		}
		return err
	})
	g.Go(func() error {
		defer close(out)
		for b := range in {
			var o []O
			select {
			case o = <-freeOut:
				o = o[:0]
			default:
				o = make([]O, 0, batchSize)
			}
			for i := range b {
				if v, ok := conv(b[i].row, b[i].v); ok {
					o = append(o, v)
				}
			}
			clear(b) // drop references for the collector
			select {
			case freeIn <- b:
			default:
			}
			if len(o) == 0 {
				continue
			}
			select {
			case out <- o:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})

	var cur []O
	var sunk int64
	i := 0
	src := func() (O, bool, error) {
		var zero O
		for i >= len(cur) {
			if cur != nil {
				clear(cur)
				select {
				case freeOut <- cur:
				default:
				}
				cur = nil
			}
			select {
			case b, ok := <-out:
				if !ok {
					return zero, false, nil
				}
				cur, i = b, 0
			case <-ctx.Done():
				return zero, false, ctx.Err()
			}
		}
		v := cur[i]
		i++
		sunk++
		if progress != nil && sunk%progressEvery == 0 {
			progress(sunk)
		}
		return v, true, nil
	}
	sinkErr := sink(src)
	cancel() // the sink may have stopped early: stop the stages
	stageErr := g.Wait()
	if progress != nil {
		progress(sunk)
	}
	switch {
	case parent.Err() != nil:
		return nread, sunk, parent.Err()
	case sinkErr != nil:
		return nread, sunk, sinkErr
	case stageErr != nil && !errors.Is(stageErr, context.Canceled):
		return nread, sunk, stageErr
	}
	return nread, sunk, nil
}
