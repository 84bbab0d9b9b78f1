// Package service is the 社会化服务 room (issue 3, items 1–4): service carriers (县/乡镇为农服务中心, 农村综合服务社,
// 村级一站式服务站), the service catalog as data (prices in 分 per unit, season windows, 标准亩 weights, request due
// times), 签约服务 contracts between a carrier and a registered subject, and requests filed to a carrier (政务代办,
// 商务代理, 档案, 代账 intake …) with their accept → handle → finish / return lifecycle and overdue flag.
package service

import (
	"fmt"
	"time"
)

// Carrier levels.
const (
	LevelCounty   = "county"   // 县级为农服务中心
	LevelTownship = "township" // 乡镇为农服务中心
	LevelCoop     = "coop"     // 农村综合服务社（村社共建）
	LevelStation  = "station"  // 村级一站式服务站
)

// Levels in display order.
var Levels = []string{LevelCounty, LevelTownship, LevelCoop, LevelStation}

// LevelLabel is the Chinese name of a carrier level.
func LevelLabel(l string) string {
	switch l {
	case LevelCounty:
		return "县级为农服务中心"
	case LevelTownship:
		return "乡镇为农服务中心"
	case LevelCoop:
		return "农村综合服务社"
	case LevelStation:
		return "村级一站式服务站"
	}
	return l
}

// Carrier opening statuses.
const (
	OpenPlanning  = "planning"  // 筹建
	OpenOperating = "operating" // 运营
	OpenClosed    = "closed"    // 停业
)

// OpenStatuses in display order.
var OpenStatuses = []string{OpenPlanning, OpenOperating, OpenClosed}

// OpenLabel is the Chinese label of an opening status.
func OpenLabel(s string) string {
	switch s {
	case OpenPlanning:
		return "筹建"
	case OpenOperating:
		return "运营"
	case OpenClosed:
		return "停业"
	}
	return s
}

// Center is one service carrier.
type Center struct {
	ID             int64     `json:"id"`
	Level          string    `json:"level" doc:"county 县级为农服务中心 / township 乡镇为农服务中心 / coop 农村综合服务社 / station 村级一站式服务站"`
	LevelLabel     string    `json:"level_label"`
	Name           string    `json:"name"`
	HostID         int64     `json:"host_id,omitempty" doc:"依托（主办）组织的主体编号：服务中心必填，如基层供销社"`
	HostName       string    `json:"host_name,omitempty"`
	CollectiveID   int64     `json:"collective_id,omitempty" doc:"综合服务社共建的村集体经济组织主体编号（host_id 为基层供销社）"`
	CollectiveName string    `json:"collective_name,omitempty"`
	StrongVillage  bool      `json:"strong_village" doc:"综合服务社已发展为强村公司"`
	RegionCode     string    `json:"region_code"`
	RegionName     string    `json:"region_name"`
	Lng            float64   `json:"lng"`
	Lat            float64   `json:"lat"`
	Staff          int       `json:"staff" doc:"工作人员数"`
	Status         string    `json:"status" doc:"planning 筹建 / operating 运营 / closed 停业"`
	StatusLabel    string    `json:"status_label"`
	Services       []string  `json:"services" doc:"提供的服务（服务目录编码）"`
	Phone          string    `json:"phone"`
	Note           string    `json:"note"`
	Contracts      int       `json:"contracts" doc:"生效中的签约服务数"`
	OpenRequests   int       `json:"open_requests" doc:"未办结的服务申请数"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Badge is the design-system badge class of the status.
func (c Center) Badge() string {
	switch c.Status {
	case OpenOperating:
		return "ok"
	case OpenClosed:
		return "bad"
	}
	return "warn"
}

// CenterInput creates or changes a carrier; on PUT every field is replaced.
type CenterInput struct {
	Level         string   `json:"level"`
	Name          string   `json:"name"`
	HostID        int64    `json:"host_id"`
	CollectiveID  int64    `json:"collective_id"`
	StrongVillage bool     `json:"strong_village"`
	RegionCode    string   `json:"region_code"`
	Lng           float64  `json:"lng"`
	Lat           float64  `json:"lat"`
	Staff         int      `json:"staff"`
	Status        string   `json:"status"`
	Services      []string `json:"services"`
	Phone         string   `json:"phone"`
	Note          string   `json:"note"`
}

// CenterFilter selects carriers.
type CenterFilter struct {
	Level   string
	Status  string
	Region  string
	Q       string
	Page    int
	PerPage int
}

// Catalog groups.
const (
	GroupCenter     = "center"     // 中心服务
	GroupProduction = "production" // 生产服务
)

// GroupLabel is the Chinese name of a catalog group.
func GroupLabel(g string) string {
	if g == GroupProduction {
		return "生产服务"
	}
	return "中心服务"
}

// Season is a window of months, inclusive; From > To wraps over the new year (11–2).
type Season struct {
	From int `json:"from" doc:"起始月 1–12"`
	To   int `json:"to" doc:"结束月 1–12"`
}

// String is 3–5月.
func (s Season) String() string { return fmt.Sprintf("%d–%d月", s.From, s.To) }

// Contains reports whether month m lies in the window.
func (s Season) Contains(m int) bool {
	if s.From <= s.To {
		return m >= s.From && m <= s.To
	}
	return m >= s.From || m <= s.To
}

// Item is one service of the catalog.
type Item struct {
	Code      string   `json:"code"`
	Name      string   `json:"name"`
	Group     string   `json:"group" doc:"center 中心服务 / production 生产服务"`
	Unit      string   `json:"unit" doc:"计价单位，如 亩、户·年、件"`
	PriceFen  int64    `json:"price_fen" doc:"指导价（分/单位）"`
	Weight    float64  `json:"weight" doc:"标准亩折算系数（生产服务；耕 0.36、种 0.27、防 0.10、收 0.27，其余 0）"`
	DueHours  int      `json:"due_hours" doc:"服务申请办结时限（工作小时，按周一至周五每天 24 小时计；中心服务）"`
	Seasons   []Season `json:"seasons" doc:"作业季（月份区间）"`
	Custom    bool     `json:"custom" doc:"县级管理员是否改过价格、系数或时限（演示数据写入的默认目录不算）"`
	UpdatedBy string   `json:"updated_by,omitempty"`
	weightK   int64    // weight in thousandths
}

// SeasonLabel lists the windows.
func (it Item) SeasonLabel() string {
	out := ""
	for i, s := range it.Seasons {
		if i > 0 {
			out += "、"
		}
		out += s.String()
	}
	if out == "" {
		return "全年"
	}
	return out
}

// InSeason reports whether month m is in one of the windows (always, when there are none).
func (it Item) InSeason(m int) bool {
	if len(it.Seasons) == 0 {
		return true
	}
	for _, s := range it.Seasons {
		if s.Contains(m) {
			return true
		}
	}
	return false
}

// DefaultDueHours is five working days.
const DefaultDueHours = 5 * 24

// defaultCatalog is the catalog every county starts with; county admins override price, weight and due hours.
var defaultCatalog = []Item{
	{Code: "bookkeeping", Name: "财务代账", Group: GroupCenter, Unit: "户·年", PriceFen: 120000},
	{Code: "archives", Name: "档案管理", Group: GroupCenter, Unit: "件", PriceFen: 0},
	{Code: "government", Name: "政务代办", Group: GroupCenter, Unit: "件", PriceFen: 0},
	{Code: "business", Name: "商务代理", Group: GroupCenter, Unit: "件", PriceFen: 5000},
	{Code: "training", Name: "农技培训", Group: GroupCenter, Unit: "人次", PriceFen: 0},
	{Code: "supply", Name: "供给调剂", Group: GroupCenter, Unit: "件", PriceFen: 0},
	{Code: "marketing", Name: "产销对接", Group: GroupCenter, Unit: "件", PriceFen: 0},
	{Code: "branding", Name: "品牌培育", Group: GroupCenter, Unit: "件", PriceFen: 200000},
	{Code: "finance", Name: "信贷保险", Group: GroupCenter, Unit: "件", PriceFen: 0},
	{Code: "plough", Name: "机耕", Group: GroupProduction, Unit: "亩", PriceFen: 8000, weightK: 360, Seasons: []Season{{2, 4}, {9, 10}}},
	{Code: "plant", Name: "机播 / 育秧插秧", Group: GroupProduction, Unit: "亩", PriceFen: 7000, weightK: 270, Seasons: []Season{{3, 5}, {9, 10}}},
	{Code: "protect", Name: "植保 / 飞防", Group: GroupProduction, Unit: "亩", PriceFen: 1000, weightK: 100, Seasons: []Season{{4, 9}}},
	{Code: "harvest", Name: "机收", Group: GroupProduction, Unit: "亩", PriceFen: 8000, weightK: 270, Seasons: []Season{{5, 6}, {8, 10}}},
	{Code: "drying", Name: "烘干", Group: GroupProduction, Unit: "吨", PriceFen: 15000, Seasons: []Season{{6, 10}}},
	{Code: "soil", Name: "测土配肥", Group: GroupProduction, Unit: "亩", PriceFen: 500, Seasons: []Season{{1, 3}, {8, 9}}},
	{Code: "inputs", Name: "农资配送", Group: GroupProduction, Unit: "次", PriceFen: 2000},
}

// RequestTypes are the catalog codes a request to a carrier may name (the center services).
func RequestTypes() []Item {
	var out []Item
	for _, it := range defaultCatalog {
		if it.Group == GroupCenter {
			out = append(out, it)
		}
	}
	return out
}

func defaultItem(code string) (Item, bool) {
	for _, it := range defaultCatalog {
		if it.Code == code {
			it.Weight = float64(it.weightK) / 1000
			if it.Group == GroupCenter {
				it.DueHours = DefaultDueHours
			}
			return it, true
		}
	}
	return Item{}, false
}

// ItemName is the catalog name of a code (the code itself when unknown).
func ItemName(code string) string {
	if it, ok := defaultItem(code); ok {
		return it.Name
	}
	return code
}

// ItemPatch changes a catalog item for a county; nil fields stay.
type ItemPatch struct {
	PriceFen *int64   `json:"price_fen"`
	Weight   *float64 `json:"weight" doc:"0–1，保留三位小数"`
	DueHours *int     `json:"due_hours" doc:"工作小时，1–2400"`
}

// Contract statuses.
const (
	ContractActive     = "active"     // 生效
	ContractTerminated = "terminated" // 已解除
)

// ContractStatusLabel is the Chinese label of a contract status.
func ContractStatusLabel(s string) string {
	if s == ContractTerminated {
		return "已解除"
	}
	return "生效"
}

// Contract is a 签约服务 agreement between a carrier and a subject.
type Contract struct {
	ID          int64     `json:"id"`
	CenterID    int64     `json:"center_id"`
	CenterName  string    `json:"center_name"`
	SubjectID   int64     `json:"subject_id"`
	SubjectName string    `json:"subject_name"`
	RegionCode  string    `json:"region_code" doc:"签约主体所在区划"`
	RegionName  string    `json:"region_name"`
	Scope       []string  `json:"scope" doc:"服务内容（服务目录编码）"`
	ScopeLabel  string    `json:"scope_label"`
	From        string    `json:"from" doc:"起始日 YYYY-MM-DD"`
	To          string    `json:"to" doc:"终止日 YYYY-MM-DD（含）"`
	FeeFen      int64     `json:"fee_fen" doc:"服务费（分）"`
	Status      string    `json:"status" doc:"active 生效 / terminated 已解除"`
	StatusLabel string    `json:"status_label"`
	InForce     bool      `json:"in_force" doc:"今天是否在有效期内且未解除"`
	CreatedAt   time.Time `json:"created_at"`
	centerReg   string
}

// ContractInput signs a contract.
type ContractInput struct {
	CenterID  int64    `json:"center_id"`
	SubjectID int64    `json:"subject_id"`
	Scope     []string `json:"scope"`
	From      string   `json:"from"`
	To        string   `json:"to"`
	FeeFen    int64    `json:"fee_fen"`
}

// Request statuses.
const (
	ReqFiled    = "filed"    // 已提交
	ReqAccepted = "accepted" // 已受理
	ReqHandled  = "handled"  // 已办理
	ReqFinished = "finished" // 已办结
	ReqReturned = "returned" // 已退回
)

// RequestStatusLabel is the Chinese label of a request status.
func RequestStatusLabel(s string) string {
	switch s {
	case ReqFiled:
		return "待受理"
	case ReqAccepted:
		return "已受理"
	case ReqHandled:
		return "已办理"
	case ReqFinished:
		return "已办结"
	case ReqReturned:
		return "已退回"
	}
	return s
}

// Step is one timestamped step of a request.
type Step struct {
	Action string    `json:"action" doc:"file 提交 / accept 受理 / handle 办理 / finish 办结 / return 退回"`
	Label  string    `json:"label"`
	At     time.Time `json:"at"`
	ByID   int64     `json:"by_id"`
	ByName string    `json:"by_name"`
	Note   string    `json:"note,omitempty"`
}

// Request is one request filed to a carrier.
type Request struct {
	ID           int64     `json:"id"`
	CenterID     int64     `json:"center_id"`
	CenterName   string    `json:"center_name"`
	SubjectID    int64     `json:"subject_id"`
	SubjectName  string    `json:"subject_name"`
	Type         string    `json:"type" doc:"服务目录中的中心服务编码，如 government 政务代办"`
	TypeLabel    string    `json:"type_label"`
	Title        string    `json:"title"`
	Detail       string    `json:"detail"`
	Proxy        bool      `json:"proxy" doc:"工作人员代办提交"`
	Status       string    `json:"status" doc:"filed 待受理 / accepted 已受理 / handled 已办理 / finished 已办结 / returned 已退回"`
	StatusLabel  string    `json:"status_label"`
	FiledAt      time.Time `json:"filed_at"`
	DueAt        time.Time `json:"due_at" doc:"办结时限"`
	Overdue      bool      `json:"overdue" doc:"未办结且已超时，或超时后才办结"`
	ReturnReason string    `json:"return_reason,omitempty"`
	Steps        []Step    `json:"steps"`
	centerReg    string
}

// Badge is the design-system badge class of the status.
func (r Request) Badge() string {
	switch r.Status {
	case ReqFinished:
		return "ok"
	case ReqReturned:
		return "bad"
	case ReqFiled:
		return "warn"
	}
	return "info"
}

// Open reports whether the request still waits for the carrier.
func (r Request) Open() bool { return r.Status != ReqFinished && r.Status != ReqReturned }

// RequestInput files a request.
type RequestInput struct {
	CenterID  int64  `json:"center_id"`
	SubjectID int64  `json:"subject_id" doc:"申请主体；农户本人提交时可省略"`
	Type      string `json:"type"`
	Title     string `json:"title"`
	Detail    string `json:"detail"`
}

// RequestFilter selects requests.
type RequestFilter struct {
	Status   string
	CenterID int64
	Overdue  bool
	Page     int
	PerPage  int
}

// ActionInput carries the reason of a return (or a note for another step).
type ActionInput struct {
	Reason string `json:"reason"`
}
