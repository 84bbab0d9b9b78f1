package supervision

import (
	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
)

// The room's access rules, in one place:
//   - read the plan's structure, task statuses, notices list and funds: county_admin, department, taskforce,
//     viewer, sysadmin (the plan is county-wide; these roles hold a county scope or none);
//   - a department (and a county admin acting for a unit) reads the reports of the tasks its unit leads or
//     cooperates on, and only its own unit's notices; taskforce, county_admin, viewer and sysadmin read all;
//   - file a progress report: an account linked to a responsible unit of the task; add a contribution: an account
//     linked to a cooperating unit;
//   - issue 督办 notices: taskforce only; answer: an account linked to the notified unit;
//   - edit the plan's structure, bind accounts to units, register units: taskforce, county_admin;
//   - funds (budgets, allocations, disbursements): taskforce, county_admin, and accounts linked to the fund's
//     managing unit (县财政局 for the 专项资金); everyone who reads the plan reads the funds;
//   - weekly summary: taskforce, county_admin, viewer, sysadmin (leaders and the office).

var readRoles = []auth.Role{auth.CountyAdmin, auth.Department, auth.Taskforce, auth.Viewer, auth.Sysadmin}

var (
	errRead     = apperr.New(apperr.Forbidden, "您的角色不能查看改革督办信息")
	errEditPlan = apperr.New(apperr.Forbidden, "只有工作专班或县级管理员可以修改工作方案结构")
)

func canRead(p *auth.Principal) error {
	if !p.Is(readRoles...) {
		return errRead
	}
	return nil
}

// seesAll reports whether p reads every unit's reports and notices.
func seesAll(p *auth.Principal) bool {
	return p.Is(auth.Taskforce, auth.CountyAdmin, auth.Viewer, auth.Sysadmin)
}

func canEditPlan(p *auth.Principal) error {
	if !p.Is(auth.Taskforce, auth.CountyAdmin) {
		return errEditPlan
	}
	return nil
}

func canIssue(p *auth.Principal) error {
	if !p.Is(auth.Taskforce) {
		return apperr.New(apperr.Forbidden, "只有工作专班可以下发督办通知")
	}
	return nil
}

func canWeekly(p *auth.Principal) error {
	if !p.Is(auth.Taskforce, auth.CountyAdmin, auth.Viewer, auth.Sysadmin) {
		return apperr.New(apperr.Forbidden, "周报面向工作专班和县领导，您的角色不能查看")
	}
	return nil
}

// canSeeTask reports whether p may read the reports of a task whose units are lead and coop.
func canSeeTask(p *auth.Principal, mine map[int64]bool, t *Task) bool {
	if seesAll(p) {
		return true
	}
	return roleIn(mine, t) != ""
}

// roleIn is p's units' role in t: "lead", "coop" or "".
func roleIn(mine map[int64]bool, t *Task) string {
	for _, u := range t.Lead {
		if mine[u.ID] {
			return "lead"
		}
	}
	for _, u := range t.Coop {
		if mine[u.ID] {
			return "coop"
		}
	}
	return ""
}

func fieldErr(field, msg string) error { return apperr.FieldErrors(map[string]string{field: msg}) }
