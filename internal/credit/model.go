// Package credit is the credit room (issue 5, core): consents (征信授权) that let a named financial institution read a
// subject's credit file, the credit file (信用档案) assembled live from what the platform knows, loan products
// (一业一贷), loans with exact repayment schedules, repayments and overdue buckets. Schedules and allocation are
// pure functions in schedule.go; access rules are in policy.go.
package credit

import "time"

// Purposes a consent may be given for.
var Purposes = []string{"贷款审批", "贷后管理", "整村授信", "担保审批", "保险承保"}

// Consent statuses. Whether a consent is live also depends on its dates.
const (
	ConsentActive  = "active"
	ConsentRevoked = "revoked"
)

// Consent is a subject's authorisation of one institution to read its credit file.
type Consent struct {
	ID              int64      `json:"id"`
	SubjectID       int64      `json:"subject_id"`
	SubjectName     string     `json:"subject_name"`
	RegionCode      string     `json:"region_code"`
	RegionName      string     `json:"region_name"`
	InstitutionID   int64      `json:"institution_id" doc:"被授权的金融、担保或保险机构（主体编号）"`
	InstitutionName string     `json:"institution_name"`
	Purpose         string     `json:"purpose" doc:"贷款审批、贷后管理、整村授信、担保审批、保险承保"`
	ValidFrom       string     `json:"valid_from" doc:"YYYY-MM-DD"`
	ValidTo         string     `json:"valid_to" doc:"YYYY-MM-DD（含当日）"`
	Status          string     `json:"status" doc:"active 有效 / revoked 已撤销；过期由日期判断"`
	State           string     `json:"state" doc:"live 生效中 / pending 未到期 / expired 已过期 / revoked 已撤销"`
	StateLabel      string     `json:"state_label"`
	OnBehalf        bool       `json:"on_behalf" doc:"工作人员代办（附签字授权书扫描件）"`
	HasScan         bool       `json:"has_scan"`
	ScanName        string     `json:"scan_name,omitempty"`
	Note            string     `json:"note"`
	CreatedByName   string     `json:"created_by_name"`
	CreatedAt       time.Time  `json:"created_at"`
	RevokedAt       *time.Time `json:"revoked_at,omitempty"`
	RevokedByName   string     `json:"revoked_by_name,omitempty"`
	RevokeReason    string     `json:"revoke_reason,omitempty"`
	scanID          int64
}

// ConsentInput files a consent. The scan (for 代办) comes as base64 in JSON or as a multipart file.
type ConsentInput struct {
	SubjectID     int64  `json:"subject_id"`
	InstitutionID int64  `json:"institution_id"`
	Purpose       string `json:"purpose"`
	ValidFrom     string `json:"valid_from"`
	ValidTo       string `json:"valid_to"`
	Note          string `json:"note"`
	ScanName      string `json:"scan_name" doc:"代办时必填：签字授权书扫描件文件名"`
	ScanBase64    string `json:"scan_base64" doc:"代办时必填：扫描件内容（base64，JPEG/PNG/PDF，≤ 5 MB；大文件请用 multipart/form-data 字段 scan）"`
	Scan          []byte `json:"-"`
}

// Scan is an uploaded file.
type Scan struct {
	FileName    string
	ContentType string
	Data        []byte
}

// MaxScanBytes bounds an uploaded scan.
const MaxScanBytes = 5 << 20

// State labels.
func stateLabel(s string) string {
	switch s {
	case "live":
		return "生效中"
	case "pending":
		return "未到生效日"
	case "expired":
		return "已过期"
	case "revoked":
		return "已撤销"
	}
	return s
}

// Read is one read of a credit file.
type Read struct {
	ID              int64     `json:"id"`
	SubjectID       int64     `json:"subject_id"`
	InstitutionID   int64     `json:"institution_id"`
	InstitutionName string    `json:"institution_name"`
	ConsentID       int64     `json:"consent_id"`
	UserName        string    `json:"user_name"`
	Role            string    `json:"role"`
	At              time.Time `json:"at"`
}

// Indicator is one line of a credit file.
type Indicator struct {
	Group  string `json:"group" doc:"身份与家庭、资产与经营、组织、借贷"`
	Key    string `json:"key"`
	Label  string `json:"label"`
	Value  string `json:"value"`
	Source string `json:"source"`
	AsOf   string `json:"as_of" doc:"数据截至日期"`
}

// File is a credit file assembled at the moment it is read.
type File struct {
	SubjectID   int64       `json:"subject_id"`
	SubjectName string      `json:"subject_name"`
	Kind        string      `json:"kind"`
	KindLabel   string      `json:"kind_label"`
	RegionName  string      `json:"region_name"`
	AssembledAt time.Time   `json:"assembled_at"`
	Indicators  []Indicator `json:"indicators"`
	Consent     *Consent    `json:"consent,omitempty" doc:"金融机构查看时所依据的授权"`
}

// Loan types (担保方式).
var LoanTypes = []string{"信用", "保证", "抵押", "质押"}

// Collaterals by loan type.
var Collaterals = map[string][]string{
	"抵押": {"土地经营权", "林权", "农机具", "活体禽畜", "圈舍", "大棚", "房屋"},
	"质押": {"保单", "订单", "应收账款"},
}

// Product is a loan product (一业一贷).
type Product struct {
	ID              int64     `json:"id"`
	InstitutionID   int64     `json:"institution_id"`
	InstitutionName string    `json:"institution_name"`
	Name            string    `json:"name"`
	Industry        string    `json:"industry" doc:"产业，如 脆李"`
	LoanType        string    `json:"loan_type" doc:"信用、保证、抵押、质押"`
	Collateral      string    `json:"collateral" doc:"抵押物或质押物：土地经营权、林权、农机具、活体禽畜、圈舍、大棚、保单、订单、应收账款 …"`
	AmountMin       int64     `json:"amount_min" doc:"最低金额（分）"`
	AmountMax       int64     `json:"amount_max" doc:"最高金额（分）"`
	TermMin         int       `json:"term_min" doc:"最短期限（月）"`
	TermMax         int       `json:"term_max" doc:"最长期限（月）"`
	RateBP          int       `json:"rate_bp" doc:"年利率下限（基点，435 = 4.35%）"`
	RateMaxBP       int       `json:"rate_max_bp" doc:"年利率上限（基点），不填同下限"`
	Method          Method    `json:"method" doc:"annuity 等额本息, equal_principal 等额本金, interest_only 先息后本, revolving 随借随还"`
	MethodLabel     string    `json:"method_label"`
	Industries      []string  `json:"industries" doc:"准入产业（空 = 不限）"`
	Regions         []string  `json:"regions" doc:"准入区域代码（空 = 不限）"`
	Kinds           []string  `json:"kinds" doc:"准入主体类型（空 = 不限）"`
	MinGrade        string    `json:"min_grade" doc:"准入最低信用等级（空 = 不限）"`
	MembersOnly     bool      `json:"members_only" doc:"仅限农合联会员"`
	Description     string    `json:"description"`
	Status          string    `json:"status" doc:"active 在售 / inactive 停售"`
	CreatedAt       time.Time `json:"created_at"`
	countyCode      string
}

// ProductInput creates a product.
type ProductInput struct {
	InstitutionID int64    `json:"institution_id" doc:"金融机构用户可省略（本机构）"`
	Name          string   `json:"name"`
	Industry      string   `json:"industry"`
	LoanType      string   `json:"loan_type"`
	Collateral    string   `json:"collateral"`
	AmountMin     int64    `json:"amount_min"`
	AmountMax     int64    `json:"amount_max"`
	TermMin       int      `json:"term_min"`
	TermMax       int      `json:"term_max"`
	RateBP        int      `json:"rate_bp"`
	RateMaxBP     int      `json:"rate_max_bp"`
	Method        string   `json:"method"`
	Industries    []string `json:"industries"`
	Regions       []string `json:"regions"`
	Kinds         []string `json:"kinds"`
	MinGrade      string   `json:"min_grade" doc:"准入最低信用等级：AAA、AA、A、BBB、BB、B、C（空 = 不限）"`
	MembersOnly   bool     `json:"members_only" doc:"仅限农合联会员"`
	Description   string   `json:"description"`
}

// Eligibility is a product judged for one subject.
type Eligibility struct {
	Product  Product  `json:"product"`
	Eligible bool     `json:"eligible"`
	Reasons  []string `json:"reasons" doc:"不符合的原因"`
}

// Loan statuses.
const (
	LoanApplied    = "applied"
	LoanApproved   = "approved"
	LoanRejected   = "rejected"
	LoanSigned     = "signed"
	LoanDisbursed  = "disbursed"
	LoanSettled    = "settled"
	LoanWrittenOff = "written_off"
)

// LoanStatuses in lifecycle order.
var LoanStatuses = []string{LoanApplied, LoanApproved, LoanRejected, LoanSigned, LoanDisbursed, LoanSettled, LoanWrittenOff}

// LoanStatusLabel is the Chinese label.
func LoanStatusLabel(s string) string {
	switch s {
	case LoanApplied:
		return "待审批"
	case LoanApproved:
		return "已批准"
	case LoanRejected:
		return "已拒绝"
	case LoanSigned:
		return "已签约"
	case LoanDisbursed:
		return "还款中"
	case LoanSettled:
		return "已结清"
	case LoanWrittenOff:
		return "已核销"
	}
	return s
}

// LoanBadge is the design-system badge class.
func LoanBadge(s string) string {
	switch s {
	case LoanDisbursed, LoanSettled:
		return "ok"
	case LoanApplied, LoanApproved, LoanSigned:
		return "warn"
	case LoanRejected, LoanWrittenOff:
		return "bad"
	}
	return ""
}

// Loan is an application and, once disbursed, a loan.
type Loan struct {
	ID              int64          `json:"id"`
	SubjectID       int64          `json:"subject_id"`
	SubjectName     string         `json:"subject_name"`
	RegionCode      string         `json:"region_code"`
	RegionName      string         `json:"region_name"`
	ProductID       int64          `json:"product_id"`
	ProductName     string         `json:"product_name"`
	InstitutionID   int64          `json:"institution_id"`
	InstitutionName string         `json:"institution_name"`
	ConsentID       int64          `json:"consent_id"`
	Status          string         `json:"status" doc:"applied 待审批, approved 已批准, rejected 已拒绝, signed 已签约, disbursed 还款中, settled 已结清, written_off 已核销"`
	StatusLabel     string         `json:"status_label"`
	RequestedAmount int64          `json:"requested_amount" doc:"申请金额（分）"`
	RequestedMonths int            `json:"requested_months"`
	Purpose         string         `json:"purpose"`
	Amount          int64          `json:"amount" doc:"批准金额（分）；随借随还为授信额度"`
	RateBP          int            `json:"rate_bp"`
	Months          int            `json:"months"`
	Method          Method         `json:"method"`
	MethodLabel     string         `json:"method_label"`
	Reason          string         `json:"reason" doc:"拒绝或核销原因"`
	DisbursedOn     string         `json:"disbursed_on"`
	MaturityOn      string         `json:"maturity_on"`
	ClosedOn        string         `json:"closed_on"`
	OnBehalf        bool           `json:"on_behalf"`
	AppliedByName   string         `json:"applied_by_name"`
	AppliedAt       time.Time      `json:"applied_at"`
	Overdue         *OverdueStatus `json:"overdue,omitempty"`
	Schedule        []Installment  `json:"schedule,omitempty"`
	Moves           []MoveRecord   `json:"moves,omitempty"`
	Events          []Event        `json:"events,omitempty"`
	countyCode      string
}

// MoveRecord is a stored draw or repayment.
type MoveRecord struct {
	ID                int64     `json:"id"`
	Kind              string    `json:"kind" doc:"draw 用款 / repay 还款"`
	On                string    `json:"on"`
	Amount            int64     `json:"amount"`
	ToOverdueInterest int64     `json:"to_overdue_interest"`
	ToInterest        int64     `json:"to_interest"`
	ToPrincipal       int64     `json:"to_principal"`
	CreatedByName     string    `json:"created_by_name"`
	CreatedAt         time.Time `json:"created_at"`
}

// Event is a status change of a loan.
type Event struct {
	At        time.Time `json:"at"`
	ActorName string    `json:"actor_name"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	ToLabel   string    `json:"to_label"`
	Note      string    `json:"note"`
}

// ApplyInput applies for a loan.
type ApplyInput struct {
	ProductID int64  `json:"product_id"`
	SubjectID int64  `json:"subject_id" doc:"会员可省略（本人）"`
	Amount    int64  `json:"amount" doc:"申请金额（分）"`
	Months    int    `json:"months"`
	Purpose   string `json:"purpose"`
}

// ActionInput carries the fields of the loan actions.
type ActionInput struct {
	Amount int64  `json:"amount,omitempty" doc:"approve：批准金额；disburse：随借随还首次用款（默认全额）；repay/draw：金额（分）"`
	RateBP int    `json:"rate_bp,omitempty" doc:"approve：年利率（基点）"`
	Months int    `json:"months,omitempty" doc:"approve：期限（月）"`
	Date   string `json:"date,omitempty" doc:"disburse/repay/draw：日期 YYYY-MM-DD（默认今天）"`
	Reason string `json:"reason,omitempty" doc:"reject/write-off：原因"`
}

// LoanFilter selects loans.
type LoanFilter struct {
	Status    string
	Bucket    string
	SubjectID int64
	ProductID int64
	AsOf      time.Time
	Page      int
	PerPage   int
}

// RateText shows the product's rate range as 4.35% or 4.35%–6.00%.
func (x Product) RateText() string {
	if x.RateMaxBP > x.RateBP {
		return bpText(x.RateBP) + "–" + bpText(x.RateMaxBP)
	}
	return bpText(x.RateBP)
}

// RateText shows the approved rate.
func (x Loan) RateText() string { return bpText(x.RateBP) }
