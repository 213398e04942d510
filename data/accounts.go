package data

import (
	"fmt"
	"strings"
	"time"
)

// Role is what a user may see and do.
type Role string

// The roles. An operator is bound to one operator and manages only its own
// network; an officer is bound to one area and sees students only in that
// area and below; a viewer sees aggregates only.
const (
	RoleAdmin    Role = "admin"
	RolePlanner  Role = "planner"  // Sở TTTT
	RoleOperator Role = "operator" // a telecom operator's engineer
	RoleOfficer  Role = "officer"  // Sở/Phòng GDĐT, school
	RoleViewer   Role = "viewer"
)

// Roles lists every role.
func Roles() []Role {
	return []Role{RoleAdmin, RolePlanner, RoleOperator, RoleOfficer, RoleViewer}
}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles() {
		if strings.EqualFold(strings.TrimSpace(s), string(r)) {
			return r, nil
		}
	}
	names := make([]string, 0, 5)
	for _, r := range Roles() {
		names = append(names, string(r))
	}
	return "", fmt.Errorf("role %q is not known: use one of %s", s, strings.Join(names, ", "))
}

// User is an account of the service.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Operator  string    `json:"operator,omitempty"`  // operators only
	AreaCode  string    `json:"area_code,omitempty"` // officers only
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

// Job is a background run (a coverage analysis, an allocation preview) as
// the service tracks it.
type Job struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	Status     string     `json:"status"` // running, succeeded, failed, cancelled
	Phase      string     `json:"phase"`
	Percent    float64    `json:"percent"`
	Actor      string     `json:"actor"`
	Params     []byte     `json:"-"`
	Result     []byte     `json:"-"`
	Error      string     `json:"error,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Job statuses.
const (
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)
