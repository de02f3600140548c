package wire

import "time"

// The JSON bodies of the admin requests (Admin.Args) and their answers (AdminResult.JSON)
// that the utilities send. Field names are part of the protocol: add, never rename.

// UDAdminArgs is udadmin's request ("Display or release licenses for users or devices
// (udadmin)"): Op is "list", "delete" or "events".
type UDAdminArgs struct {
	Op      string `json:"op"`
	Feature string `json:"feature,omitempty"`
	User    string `json:"user,omitempty"`
	Device  string `json:"device,omitempty"`
}

// UDLicense is a licensed user or device as udadmin lists it.
type UDLicense struct {
	Name     string    `json:"name"`
	Since    time.Time `json:"since"`
	LeaseEnd time.Time `json:"leaseEnd"`
}

// UDFeature is one user/device feature's usage, as of its last optimization.
type UDFeature struct {
	Feature          string      `json:"feature"`
	Version          string      `json:"version"`
	Model            string      `json:"model"`
	Purchased        int         `json:"purchased"`
	Overdraft        int         `json:"overdraft"`
	Installed        int         `json:"installed"`
	InUse            int         `json:"inUse"`
	OverdraftInUse   int         `json:"overdraftInUse"`
	Users            []UDLicense `json:"users"`
	Devices          []UDLicense `json:"devices"`
	UsersReleased    int64       `json:"usersReleased"`
	DevicesReleased  int64       `json:"devicesReleased"`
	LastOptimization time.Time   `json:"lastOptimization"`
	NextOptimization time.Time   `json:"nextOptimization"`
}

// UDEvent is one user/device event (udadmin -events).
type UDEvent struct {
	Feature string    `json:"feature"`
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Text    string    `json:"text"`
}

// UDAdminResult answers UDAdminArgs.
type UDAdminResult struct {
	Now      time.Time   `json:"now"`
	Features []UDFeature `json:"features,omitempty"`
	Events   []UDEvent   `json:"events,omitempty"`
	Released int         `json:"released,omitempty"`
}

// RereadReport answers the "reread" admin request ("Reread license and options files
// (lmreread)"): what the server read and what changed.
type RereadReport struct {
	Files    []string          `json:"files"`
	Added    []string          `json:"added,omitempty"`
	Updated  []string          `json:"updated,omitempty"`
	Removed  []string          `json:"removed,omitempty"`
	Pending  []string          `json:"pending,omitempty"` // lines whose START is in the future
	Expired  []string          `json:"expired,omitempty"`
	Rejected []RereadRejection `json:"rejected,omitempty"`
	Options  []string          `json:"options,omitempty"` // options-file warnings and errors
}

// RereadRejection is a license line the server refused, and why.
type RereadRejection struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Feature string `json:"feature"`
	Reason  string `json:"reason"`
}
