// Package federation is the 农合联 room (seed items ①②): federations at county, township (one township or a 片区
// of several) and industry level, guided by the county federation; their governance (会员（代表）大会, 理事会, 监事会
// with terms, posts and meetings; 章程 versions); and membership of subjects from the register, from application
// through review to approval, withdrawal or expulsion, every transition kept as an event. Member counts are COUNT
// queries, never stored.
package federation

import (
	"time"
)

// Federation levels.
const (
	LevelCounty   = "county"
	LevelTownship = "township"
	LevelIndustry = "industry"
)

// Levels lists the levels in display order.
var Levels = []string{LevelCounty, LevelTownship, LevelIndustry}

// LevelLabel is the Chinese name of a level.
func LevelLabel(l string) string {
	switch l {
	case LevelCounty:
		return "县级农合联"
	case LevelTownship:
		return "乡镇农合联"
	case LevelIndustry:
		return "产业农合联"
	}
	return l
}

// Federation statuses.
const (
	FedActive    = "active"
	FedDissolved = "dissolved"
)

// FedStatusLabel is the Chinese name of a federation status.
func FedStatusLabel(s string) string {
	if s == FedDissolved {
		return "已撤销"
	}
	return "正常"
}

// Federation is one 农合联.
type Federation struct {
	ID                   int64     `json:"id"`
	Code                 string    `json:"code" doc:"农合联编码，会员编号以其为前缀"`
	Name                 string    `json:"name"`
	Level                string    `json:"level" doc:"county 县级, township 乡镇, industry 产业"`
	LevelLabel           string    `json:"level_label"`
	CountyCode           string    `json:"county_code" doc:"6位县级代码（租户）"`
	RegionCode           string    `json:"region_code" doc:"县级为县代码，乡镇级为第一个覆盖乡镇"`
	RegionName           string    `json:"region_name"`
	Townships            []string  `json:"townships" doc:"覆盖的乡镇（片区），12位代码"`
	TownshipNames        []string  `json:"township_names"`
	Industry             string    `json:"industry" doc:"产业农合联的产业，如 脆李"`
	GuidedBy             int64     `json:"guided_by" doc:"业务指导的县级农合联编号，0 表示无"`
	GuidedByName         string    `json:"guided_by_name"`
	SecretariatSubjectID int64     `json:"secretariat_subject_id" doc:"秘书处依托单位（主体编号），0 表示未登记"`
	SecretariatName      string    `json:"secretariat_name" doc:"秘书处依托单位名称"`
	PresidentName        string    `json:"president_name" doc:"会长"`
	PresidentSubjectID   int64     `json:"president_subject_id"`
	EstablishedOn        string    `json:"established_on" doc:"成立日期 YYYY-MM-DD"`
	Address              string    `json:"address"`
	Phone                string    `json:"phone"`
	Note                 string    `json:"note"`
	Status               string    `json:"status" doc:"active 正常 / dissolved 已撤销"`
	StatusLabel          string    `json:"status_label"`
	MemberCount          int       `json:"member_count" doc:"已入会会员数（实时统计）"`
	PendingCount         int       `json:"pending_count" doc:"待审核申请数（实时统计）"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
}

// FederationInput creates or changes a federation; nil fields are left as they are on update.
type FederationInput struct {
	Code                 *string   `json:"code"`
	Name                 *string   `json:"name"`
	Level                *string   `json:"level"`
	RegionCode           *string   `json:"region_code" doc:"县级、产业农合联所在县的12位代码；缺省为本人管辖的县"`
	Townships            *[]string `json:"townships" doc:"乡镇农合联覆盖的乡镇（片区）"`
	Industry             *string   `json:"industry"`
	GuidedBy             *int64    `json:"guided_by" doc:"缺省为本县的县级农合联"`
	SecretariatSubjectID *int64    `json:"secretariat_subject_id"`
	SecretariatName      *string   `json:"secretariat_name"`
	PresidentName        *string   `json:"president_name"`
	PresidentSubjectID   *int64    `json:"president_subject_id"`
	EstablishedOn        *string   `json:"established_on"`
	Address              *string   `json:"address"`
	Phone                *string   `json:"phone"`
	Note                 *string   `json:"note"`
	Status               *string   `json:"status"`
}

// FedFilter selects federations.
type FedFilter struct {
	Level   string
	Q       string
	Status  string // "" = all
	Page    int
	PerPage int
}

// Governance body kinds.
const (
	BodyAssembly    = "assembly"
	BodyCouncil     = "council"
	BodySupervisory = "supervisory_board"
)

// BodyKinds lists the body kinds in display order.
var BodyKinds = []string{BodyAssembly, BodyCouncil, BodySupervisory}

// BodyLabel is the Chinese name of a body kind.
func BodyLabel(k string) string {
	switch k {
	case BodyAssembly:
		return "会员（代表）大会"
	case BodyCouncil:
		return "理事会"
	case BodySupervisory:
		return "监事会"
	}
	return k
}

// PostTitles are the usual posts (others may be typed in).
var PostTitles = []string{"会长", "副会长", "理事长", "副理事长", "秘书长", "副秘书长", "理事", "监事长", "监事"}

// Body is a governance body for one term (届).
type Body struct {
	ID           int64     `json:"id"`
	FederationID int64     `json:"federation_id"`
	Kind         string    `json:"kind" doc:"assembly 会员（代表）大会, council 理事会, supervisory_board 监事会"`
	KindLabel    string    `json:"kind_label"`
	TermNo       int       `json:"term_no" doc:"届次"`
	TermLabel    string    `json:"term_label"`
	TermStart    string    `json:"term_start"`
	TermEnd      string    `json:"term_end"`
	Note         string    `json:"note"`
	Posts        []Post    `json:"posts"`
	CreatedAt    time.Time `json:"created_at"`
}

// BodyInput creates a body.
type BodyInput struct {
	Kind      string `json:"kind"`
	TermNo    int    `json:"term_no" doc:"缺省为该类机构的下一届"`
	TermStart string `json:"term_start"`
	TermEnd   string `json:"term_end"`
	Note      string `json:"note"`
}

// Post is a seat on a body held by a person for a term.
type Post struct {
	ID              int64     `json:"id"`
	FederationID    int64     `json:"federation_id"`
	BodyID          int64     `json:"body_id"`
	Title           string    `json:"title" doc:"会长、副会长、理事、监事长、监事、秘书长 …"`
	HolderName      string    `json:"holder_name"`
	HolderSubjectID int64     `json:"holder_subject_id" doc:"任职人所属主体编号，0 表示无"`
	TermStart       string    `json:"term_start"`
	TermEnd         string    `json:"term_end"`
	Note            string    `json:"note"`
	CreatedAt       time.Time `json:"created_at"`
}

// PostInput adds a post.
type PostInput struct {
	BodyID          int64  `json:"body_id"`
	Title           string `json:"title"`
	HolderName      string `json:"holder_name"`
	HolderSubjectID int64  `json:"holder_subject_id"`
	TermStart       string `json:"term_start" doc:"缺省为机构届期"`
	TermEnd         string `json:"term_end"`
	Note            string `json:"note"`
}

// Meeting is one meeting of a body.
type Meeting struct {
	ID           int64     `json:"id"`
	FederationID int64     `json:"federation_id"`
	BodyID       int64     `json:"body_id"`
	BodyLabel    string    `json:"body_label"`
	HeldOn       string    `json:"held_on"`
	Title        string    `json:"title"`
	Agenda       string    `json:"agenda"`
	Attendees    []string  `json:"attendees" doc:"出席人员姓名或会员编号"`
	Present      int       `json:"present" doc:"实到人数"`
	Expected     int       `json:"expected" doc:"应到人数"`
	Minutes      string    `json:"minutes" doc:"会议纪要"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
}

// MeetingInput records a meeting.
type MeetingInput struct {
	BodyID    int64    `json:"body_id"`
	HeldOn    string   `json:"held_on"`
	Title     string   `json:"title"`
	Agenda    string   `json:"agenda"`
	Attendees []string `json:"attendees"`
	Present   int      `json:"present" doc:"缺省为出席名单人数"`
	Expected  int      `json:"expected"`
	Minutes   string   `json:"minutes"`
}

// Charter is one version of a federation's 章程; the newest version is current.
type Charter struct {
	ID           int64     `json:"id"`
	FederationID int64     `json:"federation_id"`
	Version      int       `json:"version"`
	AdoptedOn    string    `json:"adopted_on"`
	Text         string    `json:"text"`
	Note         string    `json:"note"`
	Current      bool      `json:"current"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
}

// CharterInput adds a charter version (the number is assigned).
type CharterInput struct {
	AdoptedOn string `json:"adopted_on"`
	Text      string `json:"text"`
	Note      string `json:"note" doc:"修订说明"`
}

// Membership statuses.
const (
	StatusApplied   = "applied"
	StatusApproved  = "approved"
	StatusRejected  = "rejected"
	StatusWithdrawn = "withdrawn"
	StatusExpelled  = "expelled"
)

// Statuses lists membership statuses in display order.
var Statuses = []string{StatusApplied, StatusApproved, StatusRejected, StatusWithdrawn, StatusExpelled}

// StatusLabel is the Chinese name of a membership status.
func StatusLabel(s string) string {
	switch s {
	case StatusApplied:
		return "待审核"
	case StatusApproved:
		return "已入会"
	case StatusRejected:
		return "未通过"
	case StatusWithdrawn:
		return "已退会"
	case StatusExpelled:
		return "已除名"
	case "":
		return "—"
	}
	return s
}

// StatusBadge is the design-system badge class of a status.
func StatusBadge(s string) string {
	switch s {
	case StatusApproved:
		return "ok"
	case StatusApplied:
		return "warn"
	case StatusRejected, StatusExpelled:
		return "bad"
	}
	return ""
}

// Membership is a subject's membership (or application) of a federation.
type Membership struct {
	ID               int64      `json:"id"`
	FederationID     int64      `json:"federation_id"`
	FederationName   string     `json:"federation_name"`
	SubjectID        int64      `json:"subject_id"`
	SubjectName      string     `json:"subject_name"`
	SubjectKind      string     `json:"subject_kind"`
	SubjectKindLabel string     `json:"subject_kind_label"`
	RegionCode       string     `json:"region_code" doc:"主体所在区划（申请时）"`
	TownshipCode     string     `json:"township_code"`
	TownshipName     string     `json:"township_name"`
	Status           string     `json:"status" doc:"applied 待审核, approved 已入会, rejected 未通过, withdrawn 已退会, expelled 已除名"`
	StatusLabel      string     `json:"status_label"`
	MemberNo         string     `json:"member_no" doc:"会员编号（批准时分配）"`
	Note             string     `json:"note"`
	OnBehalf         bool       `json:"on_behalf" doc:"工作人员代办"`
	Consent          string     `json:"consent,omitempty" doc:"代办时本人同意的方式"`
	AppliedBy        int64      `json:"applied_by" doc:"提交申请的用户编号"`
	AppliedByName    string     `json:"applied_by_name"`
	AppliedAt        time.Time  `json:"applied_at"`
	DecidedAt        *time.Time `json:"decided_at,omitempty"`
	DecidedByName    string     `json:"decided_by_name"`
	Reason           string     `json:"reason" doc:"驳回、退会或除名原因"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// Event is one transition of a membership.
type Event struct {
	ID           int64     `json:"id"`
	MembershipID int64     `json:"membership_id"`
	At           time.Time `json:"at"`
	ActorID      int64     `json:"actor_id"`
	ActorName    string    `json:"actor_name"`
	From         string    `json:"from" doc:"原状态，申请时为空"`
	FromLabel    string    `json:"from_label"`
	To           string    `json:"to"`
	ToLabel      string    `json:"to_label"`
	Reason       string    `json:"reason"`
	OnBehalf     bool      `json:"on_behalf"`
}

// MembershipDetail is a membership with its history.
type MembershipDetail struct {
	Membership
	Events []Event `json:"events"`
}

// ApplyInput is an application to join.
type ApplyInput struct {
	FederationID int64  `json:"federation_id"`
	SubjectID    int64  `json:"subject_id" doc:"会员用户只能为本人主体申请"`
	Note         string `json:"note"`
	Consent      string `json:"consent" doc:"工作人员代办时必填：本人同意的方式，如 当面、电话、书面委托"`
}

// ConsentWays are the ways a subject can agree to an application filed on its behalf.
var ConsentWays = []string{"当面确认", "电话确认", "书面委托", "村委会转达"}

// MembershipFilter selects memberships.
type MembershipFilter struct {
	FederationID int64
	SubjectID    int64
	Status       string
	Kind         string
	Township     string
	Reviewable   bool // only those the caller may review
	Page         int
	PerPage      int
}

// Count is one row of a breakdown.
type Count struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// Stats are a federation's live member counts.
type Stats struct {
	FederationID int64          `json:"federation_id"`
	Members      int            `json:"members" doc:"已入会会员数"`
	ByStatus     map[string]int `json:"by_status"`
	ByKind       []Count        `json:"by_kind"`
	ByTownship   []Count        `json:"by_township"`
}

// Overview are county-wide live counts for the home page.
type Overview struct {
	ByLevel  map[string]int
	Feds     int
	Members  int // approved memberships
	Subjects int // distinct subjects with an approved membership
	Pending  int // applications the caller may review
}
