package dispatch

import (
	"context"
	"errors"
)

// solve is replaced by the search in the next commit; the API above is what the service room codes against.
func solve(ctx context.Context, inst *Instance, opt Options) (Plan, error) {
	if err := validate(inst); err != nil {
		return Plan{}, err
	}
	return Plan{}, errors.New("dispatch: solver not yet built")
}
