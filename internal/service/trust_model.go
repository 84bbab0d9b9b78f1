package service

import "time"

// Provider kinds (服务主体类型): the 农机/农事/农资/农技 专业化服务队.
const (
	KindMachinery  = "machinery"  // 农机合作社 / 农机服务队
	KindProtection = "protection" // 植保队 / 飞防队
	KindInputs     = "inputs"     // 农资店
	KindTech       = "tech"       // 农技服务队
)

// ProviderKinds in display order.
var ProviderKinds = []string{KindMachinery, KindProtection, KindInputs, KindTech}

// ProviderKindLabel is the Chinese kind.
func ProviderKindLabel(k string) string {
	return map[string]string{KindMachinery: "农机服务队", KindProtection: "植保服务队", KindInputs: "农资服务店", KindTech: "农技服务队"}[k]
}

// MinYearsListed is the 名录库 qualification: a provider is listed only after this many full years in operation.
const MinYearsListed = 2

// Provider is a 服务主体 linked to a register subject.
type Provider struct {
	ID           int64     `json:"id"`
	SubjectID    int64     `json:"subject_id"`
	SubjectName  string    `json:"subject_name"`
	Name         string    `json:"name"`
	Kind         string    `json:"kind" doc:"machinery 农机 / protection 植保 / inputs 农资 / tech 农技"`
	KindLabel    string    `json:"kind_label"`
	RegionCode   string    `json:"region_code"`
	RegionName   string    `json:"region_name"`
	FoundedYear  int       `json:"founded_year"`
	Services     []string  `json:"services"`
	Townships    []string  `json:"townships" doc:"服务覆盖的乡镇代码"`
	Contact      string    `json:"contact"`
	Phone        string    `json:"phone"`
	Listed       bool      `json:"listed" doc:"是否入选名录库"`
	Qualified    bool      `json:"qualified" doc:"是否满足名录库资格（成立满 2 年、有服务项目与覆盖乡镇）"`
	QualifyNote  string    `json:"qualify_note"`
	Status       string    `json:"status" doc:"active 正常 / suspended 暂停"`
	Note         string    `json:"note"`
	Machines     int       `json:"machines"`
	StaffCount   int       `json:"staff_count"`
	OpenJobs     int       `json:"open_jobs"`
	CreatedAt    time.Time `json:"created_at"`
	StaffMembers []Staff   `json:"staff,omitempty"`
}

// ProviderInput registers or changes a provider.
type ProviderInput struct {
	SubjectID   int64    `json:"subject_id"`
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	FoundedYear int      `json:"founded_year"`
	Services    []string `json:"services"`
	Townships   []string `json:"townships"`
	Contact     string   `json:"contact"`
	Phone       string   `json:"phone"`
	Listed      bool     `json:"listed" doc:"申请入选名录库（须满足资格）"`
	Status      string   `json:"status"`
	Note        string   `json:"note"`
}

// Staff is one member of a provider's team.
type Staff struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Duty  string `json:"duty" doc:"如 机手、飞手、技术员"`
	Phone string `json:"phone"`
}

// Machine statuses.
const (
	MachineOK      = "ok"
	MachineBroken  = "broken"
	MachineRetired = "retired"
)

// MachineStatusLabel is the Chinese status.
func MachineStatusLabel(s string) string {
	return map[string]string{MachineOK: "可用", MachineBroken: "故障", MachineRetired: "停用"}[s]
}

// Machine is one machine (农机) of a provider.
type Machine struct {
	ID           int64    `json:"id"`
	ProviderID   int64    `json:"provider_id"`
	ProviderName string   `json:"provider_name"`
	Name         string   `json:"name" doc:"如 久保田 PRO688 收割机 #2"`
	Kind         string   `json:"kind" doc:"农机类型，如 拖拉机、插秧机、植保无人机、收割机"`
	Services     []string `json:"services" doc:"可做的服务（目录代码）"`
	Implement    string   `json:"implement" doc:"配套农机具"`
	WidthM       float64  `json:"width_m" doc:"作业幅宽（米）"`
	RateMuDay    float64  `json:"rate_mu_day" doc:"作业效率（亩/天）"`
	HoursDay     int      `json:"hours_day" doc:"每天作业小时"`
	BaseLng      float64  `json:"base_lng"`
	BaseLat      float64  `json:"base_lat"`
	Operator     string   `json:"operator" doc:"机手"`
	Status       string   `json:"status" doc:"ok 可用 / broken 故障 / retired 停用"`
	StatusLabel  string   `json:"status_label"`
	RegionCode   string   `json:"region_code"`
}

// MachineInput registers or changes a machine.
type MachineInput struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`
	Services  []string `json:"services"`
	Implement string   `json:"implement"`
	WidthM    float64  `json:"width_m"`
	RateMuDay float64  `json:"rate_mu_day"`
	HoursDay  int      `json:"hours_day"`
	BaseLng   float64  `json:"base_lng"`
	BaseLat   float64  `json:"base_lat"`
	Operator  string   `json:"operator"`
	Status    string   `json:"status"`
}

// Order scopes (托管环节) and modes (托管方式).
const (
	ScopeSingle = "single" // 单环节托管
	ScopeMulti  = "multi"  // 多环节托管
	ScopeWhole  = "whole"  // 全程托管
	ModeNanny   = "nanny"  // 保姆式
	ModeMenu    = "menu"   // 菜单式
	ModeOrder   = "order"  // 订单式
)

// ScopeLabel and ModeLabel are the Chinese names.
func ScopeLabel(s string) string {
	return map[string]string{ScopeSingle: "单环节托管", ScopeMulti: "多环节托管", ScopeWhole: "全程托管"}[s]
}

// ModeLabel is the Chinese mode.
func ModeLabel(m string) string {
	return map[string]string{ModeNanny: "保姆式", ModeMenu: "菜单式", ModeOrder: "订单式"}[m]
}

// WholeProcess are the services of a whole-process (全程) order, in field order.
var WholeProcess = []string{"plough", "plant", "protect", "harvest"}

// Order statuses: 下单 → 受理 → 派单 → 作业中 → 完工 → 验收 → 结算; 争议 and 取消 on the side.
const (
	OrdPlaced     = "placed"
	OrdAccepted   = "accepted"
	OrdDispatched = "dispatched"
	OrdWorking    = "working"
	OrdCompleted  = "completed"
	OrdChecked    = "checked"
	OrdDisputed   = "disputed"
	OrdSettled    = "settled"
	OrdCancelled  = "cancelled"
)

// OrderStatuses in lifecycle order.
var OrderStatuses = []string{OrdPlaced, OrdAccepted, OrdDispatched, OrdWorking, OrdCompleted, OrdChecked, OrdDisputed, OrdSettled, OrdCancelled}

// OrderStatusLabel is the Chinese status.
func OrderStatusLabel(s string) string {
	return map[string]string{OrdPlaced: "已下单", OrdAccepted: "已受理", OrdDispatched: "已派单", OrdWorking: "作业中", OrdCompleted: "已完工",
		OrdChecked: "已验收", OrdDisputed: "有争议", OrdSettled: "已结算", OrdCancelled: "已取消"}[s]
}

// Job statuses.
const (
	JobPending   = "pending"   // 待派
	JobPlanned   = "planned"   // 已派
	JobWorking   = "working"   // 作业中
	JobDone      = "done"      // 已完工（已报工）
	JobCancelled = "cancelled" // 已取消
)

// JobStatusLabel is the Chinese status.
func JobStatusLabel(s string) string {
	return map[string]string{JobPending: "待派单", JobPlanned: "已派单", JobWorking: "作业中", JobDone: "已完工", JobCancelled: "已取消"}[s]
}

// Order is a 生产托管 order of one subject.
type Order struct {
	ID           int64       `json:"id"`
	SubjectID    int64       `json:"subject_id"`
	SubjectName  string      `json:"subject_name"`
	RegionCode   string      `json:"region_code"`
	RegionName   string      `json:"region_name"`
	ProviderID   int64       `json:"provider_id"`
	ProviderName string      `json:"provider_name"`
	Scope        string      `json:"scope" doc:"single 单环节 / multi 多环节 / whole 全程"`
	Mode         string      `json:"mode" doc:"nanny 保姆式 / menu 菜单式 / order 订单式"`
	ContractRef  string      `json:"contract_ref" doc:"订单式：关联的购销合同编号"`
	Services     []string    `json:"services"`
	Status       string      `json:"status"`
	StatusLabel  string      `json:"status_label"`
	SubsidyFenMu int64       `json:"subsidy_fen_mu" doc:"补贴（分/亩，按验收面积）"`
	AmountFen    int64       `json:"amount_fen" doc:"验收面积 × 单价（分）"`
	SubsidyFen   int64       `json:"subsidy_fen"`
	PayableFen   int64       `json:"payable_fen" doc:"应付 = 金额 − 补贴（分）"`
	AreaMu       float64     `json:"area_mu" doc:"下单面积（亩，各作业之和）"`
	Proxy        bool        `json:"proxy" doc:"工作人员代办"`
	Note         string      `json:"note"`
	Dispute      string      `json:"dispute"`
	SettledOn    string      `json:"settled_on"`
	CreatedAt    time.Time   `json:"created_at"`
	Jobs         []Job       `json:"jobs,omitempty"`
	Steps        []OrderStep `json:"steps,omitempty"`
}

// OrderInput places an order.
type OrderInput struct {
	SubjectID    int64    `json:"subject_id" doc:"会员本人下单时可省略"`
	PlotIDs      []int64  `json:"plot_ids"`
	Scope        string   `json:"scope"`
	Mode         string   `json:"mode"`
	Services     []string `json:"services" doc:"全程托管可省略（耕、种、防、收）"`
	ProviderID   int64    `json:"provider_id" doc:"指定服务主体（可留空，由受理时指派）"`
	ContractRef  string   `json:"contract_ref"`
	WindowFrom   string   `json:"window_from" doc:"作业期开始 YYYY-MM-DD（省略则按作业季）"`
	WindowTo     string   `json:"window_to"`
	Note         string   `json:"note"`
	SubsidyFenMu int64    `json:"subsidy_fen_mu"`
}

// Job is one service on one plot.
type Job struct {
	ID          int64   `json:"id"`
	OrderID     int64   `json:"order_id"`
	SubjectID   int64   `json:"subject_id"`
	ProviderID  int64   `json:"provider_id"`
	PlotID      int64   `json:"plot_id"`
	PlotName    string  `json:"plot_name"`
	RegionCode  string  `json:"region_code"`
	Lng         float64 `json:"lng"`
	Lat         float64 `json:"lat"`
	Service     string  `json:"service"`
	ServiceName string  `json:"service_name"`
	AreaMu      float64 `json:"area_mu"`
	PriceFen    int64   `json:"price_fen" doc:"单价（分/亩）"`
	WindowFrom  string  `json:"window_from"`
	WindowTo    string  `json:"window_to"`
	Status      string  `json:"status"`
	StatusLabel string  `json:"status_label"`
	MachineID   int64   `json:"machine_id"`
	MachineName string  `json:"machine_name"`
	PlanDay     string  `json:"plan_day"`
	PlanStart   int     `json:"plan_start" doc:"计划开始（当天分钟数）"`
	PlanEnd     int     `json:"plan_end"`
	Locked      bool    `json:"locked" doc:"人工锁定（重排时不动）"`
	ReportedMu  float64 `json:"reported_mu" doc:"报工面积（亩）"`
	TrackMu     float64 `json:"track_mu" doc:"轨迹面积（亩）"`
	TrackFlag   bool    `json:"track_flag" doc:"轨迹面积与报工面积相差超过 15%"`
	AcceptedMu  float64 `json:"accepted_mu" doc:"验收面积（亩）"`
	DoneOn      string  `json:"done_on"`
	// Parts are the day parts of a job the plan split (empty for a whole job); the plan columns above are part 1.
	Parts []JobPart `json:"parts,omitempty" doc:"分日作业的各段（整块作业为空）"`
	// Part is set (1-based) on the per-part copies the screens draw (see expandParts).
	Part          int `json:"-"`
	partsJSON     string
	areaCenti     int64
	reportedCenti int64
	trackCenti    int64
	acceptedCenti int64
}

// OrderStep is one recorded step of an order.
type OrderStep struct {
	JobID  int64     `json:"job_id"`
	Action string    `json:"action"`
	Label  string    `json:"label"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Actor  string    `json:"actor"`
	Note   string    `json:"note"`
	At     time.Time `json:"at"`
}

// WorkReport is a provider's report of work done on a job.
type WorkReport struct {
	AreaMu  float64 `json:"area_mu" doc:"报工面积（亩）"`
	Track   string  `json:"track,omitempty" doc:"可选：GPX 或 GeoJSON 轨迹文本"`
	Note    string  `json:"note"`
	Started bool    `json:"started,omitempty" doc:"只报开工（作业中），不报完工"`
}

// Acceptance is the farmer's 验收: confirm, or dispute with areas and a reason.
type Acceptance struct {
	Confirm bool              `json:"confirm"`
	Areas   map[int64]float64 `json:"areas,omitempty" doc:"争议时每个作业的认可面积（亩），按作业 id"`
	Reason  string            `json:"reason"`
}

// TrackFlagRatio is the relative difference between track and declared area above which a report is flagged.
const TrackFlagRatio = 0.15
