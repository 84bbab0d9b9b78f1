// Package registry is the master register of subjects (一数一源): every household (农户), family farm, cooperative,
// company, village collective, supply co-op, service co-op, financial institution and association of the county,
// with household members and plots (地块). Other rooms refer to subjects by id and read them through this
// package's Service.
package registry

import (
	"time"
)

// KindInfo describes a subject kind.
type KindInfo struct {
	Code    string `json:"code"`
	Label   string `json:"label"`
	Org     bool   `json:"org"`      // an organisation (has a 统一社会信用代码) rather than a household
	NewType bool   `json:"new_type"` // 新型农业经营主体
}

// Kinds of subjects, in display order.
var Kinds = []KindInfo{
	{"household", "农户", false, false},
	{"family_farm", "家庭农场", true, true},
	{"cooperative", "农民专业合作社", true, true},
	{"enterprise", "农业企业", true, true},
	{"village_collective", "村集体经济组织", true, false},
	{"supply_coop", "基层供销社", true, false},
	{"service_coop", "农村综合服务社", true, false},
	{"bank", "金融机构", true, false},
	{"guarantor", "担保机构", true, false},
	{"insurer", "保险机构", true, false},
	{"association", "行业协会", true, false},
	{"other", "其他", true, false},
}

// KindOf finds a kind by code or Chinese label.
func KindOf(s string) (KindInfo, bool) {
	for _, k := range Kinds {
		if k.Code == s || k.Label == s {
			return k, true
		}
	}
	return KindInfo{}, false
}

// KindLabel is the Chinese label of a kind code.
func KindLabel(code string) string {
	if k, ok := KindOf(code); ok {
		return k.Label
	}
	return code
}

// DefaultIndustries are the county's main industries (configurable in the industries table).
var DefaultIndustries = []string{"脆李", "柑橘", "中药材", "核桃", "烤烟", "粮油", "蔬菜", "畜禽", "茶叶", "食用菌", "其他"}

// Status values.
const (
	StatusActive   = "active"
	StatusInactive = "inactive"
)

// StatusLabel is the Chinese label of a status.
func StatusLabel(s string) string {
	if s == StatusInactive {
		return "已注销"
	}
	return "正常"
}

// Subject is one registered party.
type Subject struct {
	ID               int64     `json:"id"`
	Kind             string    `json:"kind" doc:"household, family_farm, cooperative, enterprise, village_collective, supply_coop, service_coop, bank, guarantor, insurer, association, other（也接受中文名称）"`
	KindLabel        string    `json:"kind_label"`
	Name             string    `json:"name"`
	CreditCode       string    `json:"credit_code" doc:"统一社会信用代码"`
	LegalRep         string    `json:"legal_rep" doc:"法定代表人 / 户主"`
	IDNumber         string    `json:"id_number" doc:"法定代表人或户主的居民身份证号，读取时脱敏"`
	Phone            string    `json:"phone" doc:"手机号，无权限时脱敏"`
	RegionCode       string    `json:"region_code" doc:"12位区划代码（村或乡镇）"`
	RegionName       string    `json:"region_name"`
	Address          string    `json:"address"`
	Industries       []string  `json:"industries"`
	ScaleMu          float64   `json:"scale_mu" doc:"经营面积（亩）"`
	ScaleHead        int64     `json:"scale_head" doc:"养殖规模（头/只）"`
	HouseholdsLed    int       `json:"households_led" doc:"带动农户数"`
	Lng              float64   `json:"lng"`
	Lat              float64   `json:"lat"`
	Status           string    `json:"status" doc:"active 正常 / inactive 已注销"`
	EstablishedOn    string    `json:"established_on" doc:"成立日期 YYYY-MM-DD"`
	RegisteredOn     string    `json:"registered_on" doc:"登记日期 YYYY-MM-DD"`
	Note             string    `json:"note"`
	DeactivateReason string    `json:"deactivate_reason,omitempty"`
	NewType          bool      `json:"new_type" doc:"是否新型农业经营主体"`
	MemberCount      int       `json:"member_count" doc:"家庭成员数（农户）"`
	PlotCount        int       `json:"plot_count"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`

	scaleCenti int64
	idEnc      string
	phoneEnc   string
}

// SubjectInput creates or changes a subject; nil fields are left as they are on update.
type SubjectInput struct {
	Kind          *string   `json:"kind"`
	Name          *string   `json:"name"`
	CreditCode    *string   `json:"credit_code"`
	LegalRep      *string   `json:"legal_rep"`
	IDNumber      *string   `json:"id_number"`
	Phone         *string   `json:"phone"`
	RegionCode    *string   `json:"region_code"`
	Address       *string   `json:"address"`
	Industries    *[]string `json:"industries"`
	ScaleMu       *float64  `json:"scale_mu"`
	ScaleHead     *int64    `json:"scale_head"`
	HouseholdsLed *int      `json:"households_led"`
	Lng           *float64  `json:"lng"`
	Lat           *float64  `json:"lat"`
	EstablishedOn *string   `json:"established_on"`
	RegisteredOn  *string   `json:"registered_on"`
	Note          *string   `json:"note"`
	Status        *string   `json:"status"`
}

// Filter selects subjects.
type Filter struct {
	Q          string // name, credit code, phone, ID number or its last 4 characters
	Kind       string
	RegionCode string // any level: county, township or village
	Industry   string
	Status     string // "" = active only; "all"; "inactive"
	NewType    bool
	IDs        []int64
	Page       int
	PerPage    int
	Sort       string // "name", "-created" (default newest first), "region"
}

// Member is a person in a household (家庭成员).
type Member struct {
	ID        int64  `json:"id"`
	SubjectID int64  `json:"subject_id"`
	Name      string `json:"name"`
	Relation  string `json:"relation" doc:"与户主关系：配偶、子女、父母 …"`
	IDNumber  string `json:"id_number" doc:"读取时脱敏"`
	Gender    string `json:"gender"`
	BirthDate string `json:"birth_date"`
	Phone     string `json:"phone"`
	Note      string `json:"note"`
}

// MemberInput adds a household member.
type MemberInput struct {
	Name     string `json:"name"`
	Relation string `json:"relation"`
	IDNumber string `json:"id_number"`
	Phone    string `json:"phone"`
	Note     string `json:"note"`
}

// Plot is a piece of land (地块) held by a subject.
type Plot struct {
	ID            int64     `json:"id"`
	SubjectID     int64     `json:"subject_id"`
	SubjectName   string    `json:"subject_name"`
	RegionCode    string    `json:"region_code"`
	RegionName    string    `json:"region_name"`
	Name          string    `json:"name"`
	Crop          string    `json:"crop"`
	AreaMu        float64   `json:"area_mu" doc:"面积（亩）"`
	Polygon       string    `json:"polygon,omitempty" doc:"GeoJSON Polygon 或 Feature"`
	PolygonAreaMu float64   `json:"polygon_area_mu" doc:"由多边形计算的面积（亩）"`
	Lng           float64   `json:"lng"`
	Lat           float64   `json:"lat"`
	Note          string    `json:"note"`
	Status        string    `json:"status"`
	CreatedAt     time.Time `json:"created_at"`
}

// PlotInput creates or changes a plot.
type PlotInput struct {
	SubjectID  int64    `json:"subject_id"`
	RegionCode string   `json:"region_code"`
	Name       string   `json:"name"`
	Crop       string   `json:"crop"`
	AreaMu     *float64 `json:"area_mu" doc:"留空则由多边形计算"`
	Polygon    string   `json:"polygon"`
	Note       string   `json:"note"`
}
