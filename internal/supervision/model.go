package supervision

import (
	"time"
)

// Unit is an organisation named by the plan as responsible (责任单位) or cooperating (配合单位).
type Unit struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name" doc:"方案中的简称，如 县供销合作社"`
	OrgName   string    `json:"org_name" doc:"主体名录中的全称"`
	Kind      string    `json:"kind" doc:"主体类型：other 其他 / bank 金融机构"`
	Aliases   []string  `json:"aliases" doc:"方案中的其他写法"`
	Note      string    `json:"note"`
	SubjectID int64     `json:"subject_id" doc:"主体名录中的主体编号（0 表示尚未登记）"`
	Users     []UserRef `json:"users" doc:"绑定的账号（县级部门 / 县级管理员），以本单位身份填报"`
	Tasks     int       `json:"tasks" doc:"牵头的重点任务数"`
	CoopTasks int       `json:"coop_tasks" doc:"配合的重点任务数"`
}

// UserRef is an account linked to a unit.
type UserRef struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
	Role     string `json:"role"`
}

// UnitRef is a unit as a task shows it.
type UnitRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Item is one of the 18 work items (二、重点工作 ①–⑱) or one of the 附件1 “四个重大” rows.
type Item struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind" doc:"work 重点工作 / major 附件1“四个重大”"`
	No        int       `json:"no"`
	Mark      string    `json:"mark" doc:"序号，如 ①"`
	Category  string    `json:"category" doc:"所属部分，如 （一）构建农合联服务平台，或 重大改革"`
	Title     string    `json:"title"`
	Targets   string    `json:"targets" doc:"方案中的量化目标原文"`
	KPIs      []string  `json:"kpis" doc:"绑定的方案指标（internal/reform/plan.json 的 key）"`
	Lead      []UnitRef `json:"lead" doc:"责任单位"`
	Coop      []UnitRef `json:"coop" doc:"配合单位"`
	Townships bool      `json:"townships" doc:"配合单位含“各乡镇”"`
	CoopEtc   bool      `json:"coop_etc" doc:"配合单位原文以“等”结尾"`
	Note      string    `json:"note"`
}

// Task is one of the 34 tasks of 附件2 with its computed status.
type Task struct {
	ID          int64     `json:"id"`
	No          int       `json:"no"`
	Area        string    `json:"area" doc:"名称（如 着力构建为农服务平台）"`
	Matter      string    `json:"matter" doc:"事项（如 规范组建农合联）"`
	Text        string    `json:"text" doc:"工作任务原文"`
	KPI         string    `json:"kpi" doc:"绑定的方案指标 key（量化任务）"`
	Target      float64   `json:"target" doc:"目标值（指标单位）"`
	StartOn     string    `json:"start_on" doc:"起算日期 YYYY-MM-DD"`
	DueOn       string    `json:"due_on" doc:"目标日期 YYYY-MM-DD"`
	Lead        []UnitRef `json:"lead"`
	Coop        []UnitRef `json:"coop"`
	Townships   bool      `json:"townships"`
	CoopEtc     bool      `json:"coop_etc"`
	Note        string    `json:"note"`
	UpdatedAt   time.Time `json:"updated_at"`
	Status      Status    `json:"status"`
	Reports     int       `json:"reports" doc:"进展报告数"`
	LastReport  string    `json:"last_report" doc:"最近一次报告日期"`
	OpenNotices int       `json:"open_notices" doc:"未答复的督办通知数"`
	Mine        string    `json:"mine,omitempty" doc:"当前用户所在单位的角色：lead 责任 / coop 配合"`
}

// TaskInput edits a task (工作专班、县级管理员).
type TaskInput struct {
	Text    *string  `json:"text"`
	KPI     *string  `json:"kpi" doc:"方案指标 key，空字符串表示不绑定"`
	Target  *float64 `json:"target"`
	StartOn *string  `json:"start_on"`
	DueOn   *string  `json:"due_on"`
	Lead    *[]int64 `json:"lead" doc:"责任单位编号"`
	Coop    *[]int64 `json:"coop" doc:"配合单位编号"`
	Note    *string  `json:"note"`
}

// Figure is a named number in a report (e.g. 新建乡镇为农服务中心 2 个).
type Figure struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// Report is a progress report (进展报告) by the responsible unit, or a contribution (配合情况) by a cooperating unit.
type Report struct {
	ID          int64     `json:"id"`
	TaskID      int64     `json:"task_id"`
	TaskNo      int       `json:"task_no"`
	UnitID      int64     `json:"unit_id"`
	UnitName    string    `json:"unit_name"`
	Kind        string    `json:"kind" doc:"report 进展报告 / contribution 配合情况"`
	Period      string    `json:"period" doc:"报告期 YYYY-MM"`
	Narrative   string    `json:"narrative"`
	ProgressPct int       `json:"progress_pct" doc:"自评完成进度 0–100"`
	Figures     []Figure  `json:"figures"`
	Done        bool      `json:"done" doc:"报告该任务已完成"`
	UserName    string    `json:"user_name"`
	CreatedAt   time.Time `json:"created_at"`
	Files       []File    `json:"files"`
}

// ReportInput files a report or a contribution.
type ReportInput struct {
	Kind        string      `json:"kind" doc:"report（默认）/ contribution"`
	UnitID      int64       `json:"unit_id" doc:"以哪个单位身份填报（绑定多个单位时必填）"`
	Period      string      `json:"period" doc:"报告期 YYYY-MM，默认本月"`
	Narrative   string      `json:"narrative"`
	ProgressPct int         `json:"progress_pct"`
	Figures     []Figure    `json:"figures"`
	Done        bool        `json:"done"`
	Files       []FileInput `json:"files" doc:"附件（base64）"`
}

// File is an attachment (stored in the room's own table, ≤ 5 MB each).
type File struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	URL         string `json:"url"`
}

// FileInput is an uploaded attachment.
type FileInput struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	DataBase64  string `json:"data_base64" doc:"文件内容（base64，≤ 5 MB；JPEG/PNG/PDF/Office 文档）"`
	data        []byte
}

// Notice states.
const (
	NoticeOpen         = "open"
	NoticeOverdue      = "overdue"
	NoticeAnswered     = "answered"
	NoticeAnsweredLate = "answered_late"
)

// Notice is a 督办 notice from the task force to a unit.
type Notice struct {
	ID             int64      `json:"id"`
	No             string     `json:"no" doc:"督办编号，如 督办〔2026〕3号"`
	TaskID         int64      `json:"task_id"`
	TaskNo         int        `json:"task_no"`
	TaskText       string     `json:"task_text"`
	UnitID         int64      `json:"unit_id"`
	UnitName       string     `json:"unit_name"`
	Body           string     `json:"body"`
	Deadline       string     `json:"deadline" doc:"答复期限 YYYY-MM-DD（当日24时前）"`
	IssuedByName   string     `json:"issued_by_name"`
	IssuedAt       time.Time  `json:"issued_at"`
	Answer         string     `json:"answer"`
	AnsweredByName string     `json:"answered_by_name"`
	AnsweredAt     *time.Time `json:"answered_at"`
	State          string     `json:"state" doc:"open 待答复 / overdue 逾期未答复 / answered 已答复 / answered_late 逾期后答复"`
	StateLabel     string     `json:"state_label"`
	Level          int        `json:"level" doc:"督办级别：1 专班督办，2 升级督办（单位主要负责人），3 分管县领导督办"`
	LevelLabel     string     `json:"level_label"`
	DaysOverdue    int        `json:"days_overdue"`
}

// NoticeInput issues a notice.
type NoticeInput struct {
	TaskID   int64  `json:"task_id"`
	UnitID   int64  `json:"unit_id" doc:"被督办单位，默认任务的第一个责任单位"`
	Body     string `json:"body"`
	Deadline string `json:"deadline" doc:"YYYY-MM-DD"`
}

// AnswerInput answers a notice.
type AnswerInput struct {
	Answer string `json:"answer"`
}
