package daemon

import (
	"fmt"

	"github.com/licd/licd/wire"
)

// accountsOp serves the console-account and service-switch admin requests (the
// counterparts of CtxManageUserAndGroup and of enabling or disabling the License
// Management Service).
func (d *Daemon) accountsOp(op string, args []byte) (any, error) {
	return nil, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("admin operation %q is not available yet", op))
}
