package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/db"
)

// Token lifetimes.
const (
	SessionTTL  = 7 * 24 * time.Hour   // browser sessions: a week, farmers log in rarely
	APILoginTTL = 24 * time.Hour       // tokens from POST /api/v1/auth/login
	APITokenTTL = 365 * 24 * time.Hour // named machine tokens for banks and other systems
)

// Token kinds.
const (
	KindSession  = "session"
	KindAPILogin = "api_login"
	KindAPIToken = "api_token"
)

// User is an account.
type User struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        Role      `json:"role"`
	Scopes      []string  `json:"scopes"`
	SubjectID   int64     `json:"subject_id"`
	Active      bool      `json:"active"`
	Demo        bool      `json:"demo"`
	CreatedAt   time.Time `json:"created_at"`
}

// NewUser is the input for creating a user.
type NewUser struct {
	Username    string
	DisplayName string
	Role        Role
	Scopes      []string
	SubjectID   int64
	Password    string
	Demo        bool
}

// Service manages users, sessions and tokens.
type Service struct {
	db       *db.DB
	throttle *Throttle
	now      func() time.Time
}

// NewService returns an auth service on d.
func NewService(d *db.DB) *Service {
	return &Service{db: d, throttle: NewThrottle(5, 15*time.Minute), now: time.Now}
}

// Throttle exposes the login throttle (tests tune it).
func (s *Service) Throttle() *Throttle { return s.throttle }

const userCols = `id, username, display_name, role, scopes, subject_id, active, demo, created_at`

func scanUser(sc interface{ Scan(...any) error }) (User, string, error) {
	var u User
	var scopes string
	err := sc.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &scopes, &u.SubjectID, &u.Active, &u.Demo, &u.CreatedAt)
	if scopes != "" {
		u.Scopes = strings.Split(scopes, ",")
	}
	return u, scopes, err
}

// CreateUser adds a user; actor may be nil for the CLI and the demo loader.
func (s *Service) CreateUser(ctx context.Context, actor *Principal, in NewUser) (User, error) {
	fields := map[string]string{}
	in.Username = strings.TrimSpace(in.Username)
	if in.Username == "" || len(in.Username) > 64 || strings.ContainsAny(in.Username, " \t,:/") {
		fields["username"] = "用户名不能为空，且不能含空格、逗号、冒号或斜杠"
	}
	if !in.Role.Valid() {
		fields["role"] = "未知的角色"
	}
	if msg := CheckPasswordPolicy(in.Password); msg != "" && !in.Demo {
		fields["password"] = msg
	}
	for _, sc := range in.Scopes {
		if len(sc) != 12 || strings.Trim(sc, "0123456789") != "" {
			fields["scopes"] = "管辖区域应为12位统计用区划代码"
		}
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return User{}, err
	}
	if in.DisplayName == "" {
		in.DisplayName = in.Username
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	now := s.now().UTC()
	u := User{Username: in.Username, DisplayName: in.DisplayName, Role: in.Role, Scopes: in.Scopes, SubjectID: in.SubjectID, Active: true, Demo: in.Demo, CreatedAt: now}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		u.ID = tx.NextID()
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, username, display_name, role, scopes, subject_id, password_hash, active, demo, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, TRUE, ?, ?, ?)`, u.ID, u.Username, u.DisplayName, string(u.Role), strings.Join(u.Scopes, ","), u.SubjectID, hash, u.Demo, now, now)
		if err != nil {
			if db.IsUniqueViolation(err) {
				return &apperr.Error{Code: apperr.Conflict, Message: "用户名已存在：" + u.Username, Fields: map[string]string{"username": "用户名已存在"}}
			}
			return fmt.Errorf("insert user: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor.Actor(), Action: "create", Entity: "user", EntityID: u.ID,
			Summary: "新建用户 " + u.Username + "（" + u.Role.Label() + "）", After: u})
	})
	return u, err
}

// GetUser returns a user by id.
func (s *Service) GetUser(ctx context.Context, id int64) (User, error) {
	u, _, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, apperr.New(apperr.NotFound, "用户不存在")
	}
	return u, err
}

// ListUsers returns all users ordered by role and name.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY role, username`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountUsers returns the number of users (0 means a fresh database that needs `nongfu user add`).
func (s *Service) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

func newToken() (plain, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	plain = base64.RawURLEncoding.EncodeToString(b)
	return plain, hashToken(plain)
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

var errBadLogin = apperr.New(apperr.Unauthorized, "用户名或密码错误")

// Login checks a password and opens a session (kind KindSession or KindAPILogin). key identifies the client for
// throttling (the remote address).
func (s *Service) Login(ctx context.Context, username, password, key, kind string) (string, *Principal, error) {
	username = strings.TrimSpace(username)
	if wait := s.throttle.Blocked(username, key); wait > 0 {
		return "", nil, apperr.Errorf(apperr.TooMany, "登录失败次数过多，请 %d 分钟后再试", int(wait.Minutes())+1)
	}
	var id int64
	var hash string
	var active bool
	err := s.db.QueryRowContext(ctx, `SELECT id, password_hash, active FROM users WHERE username = ?`, username).Scan(&id, &hash, &active)
	if errors.Is(err, sql.ErrNoRows) {
		CheckPassword(dummyHash, password) // same work as a real check: no user-enumeration by timing
		s.throttle.Fail(username, key)
		return "", nil, errBadLogin
	}
	if err != nil {
		return "", nil, fmt.Errorf("login: %w", err)
	}
	if !CheckPassword(hash, password) {
		s.throttle.Fail(username, key)
		return "", nil, errBadLogin
	}
	if !active {
		return "", nil, apperr.New(apperr.Forbidden, "该账号已停用，请联系管理员")
	}
	s.throttle.Success(username, key)
	ttl := SessionTTL
	if kind == KindAPILogin {
		ttl = APILoginTTL
	}
	plain, th := newToken()
	now := s.now().UTC()
	// expired sessions are swept at login, when it costs nobody a wait that matters
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, now); err != nil {
		return "", nil, fmt.Errorf("sweep sessions: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, kind, name, created_at, expires_at) VALUES (?, ?, ?, '', ?, ?)`,
		th, id, kind, now, now.Add(ttl)); err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	p, err := s.principal(ctx, id)
	if err != nil {
		return "", nil, err
	}
	p.ViaToken = kind != KindSession
	return plain, p, nil
}

var dummyHash, _ = HashPassword("nongfu-dummy-password")

func (s *Service) principal(ctx context.Context, userID int64) (*Principal, error) {
	u, err := s.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !u.Active {
		return nil, apperr.New(apperr.Unauthorized, "账号已停用")
	}
	return &Principal{UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, Scopes: u.Scopes, SubjectID: u.SubjectID}, nil
}

// Authenticate resolves a session or API token to its principal.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, apperr.New(apperr.Unauthorized, "请先登录")
	}
	var userID int64
	var kind string
	var exp time.Time
	err := s.db.QueryRowContext(ctx, `SELECT user_id, kind, expires_at FROM sessions WHERE token_hash = ?`, hashToken(token)).Scan(&userID, &kind, &exp)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && s.now().After(exp)) {
		return nil, apperr.New(apperr.Unauthorized, "登录已过期，请重新登录")
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	p, err := s.principal(ctx, userID)
	if err != nil {
		return nil, err
	}
	p.ViaToken = kind != KindSession
	return p, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hashToken(token))
	return err
}

// ChangePassword sets a new password after checking the old one; other sessions of the user end.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, oldPw, newPw string) error {
	var hash string
	if err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, p.UserID).Scan(&hash); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if !CheckPassword(hash, oldPw) {
		return &apperr.Error{Code: apperr.Invalid, Message: "原密码不正确", Fields: map[string]string{"old_password": "原密码不正确"}}
	}
	if msg := CheckPasswordPolicy(newPw); msg != "" {
		return &apperr.Error{Code: apperr.Invalid, Message: msg, Fields: map[string]string{"new_password": msg}}
	}
	return s.SetPassword(ctx, p, p.UserID, newPw)
}

// SetPassword replaces a user's password (admins, CLI) and ends the user's browser sessions.
func (s *Service) SetPassword(ctx context.Context, actor *Principal, userID int64, pw string) error {
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, s.now().UTC(), userID)
		if err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "用户不存在")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND kind = ?`, userID, KindSession); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor.Actor(), Action: "password", Entity: "user", EntityID: userID, Summary: "修改密码"})
	})
}

// SetActive enables or disables a user; disabling ends all the user's sessions and tokens.
func (s *Service) SetActive(ctx context.Context, actor *Principal, userID int64, active bool) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET active = ?, updated_at = ? WHERE id = ?`, active, s.now().UTC(), userID)
		if err != nil {
			return fmt.Errorf("set active: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "用户不存在")
		}
		if !active {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
				return err
			}
		}
		summary := "启用用户"
		if !active {
			summary = "停用用户"
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor.Actor(), Action: "update", Entity: "user", EntityID: userID, Summary: summary,
			After: map[string]bool{"active": active}})
	})
}

// CreateAPIToken issues a named long-lived token for a machine client acting as userID.
func (s *Service) CreateAPIToken(ctx context.Context, actor *Principal, userID int64, name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", &apperr.Error{Code: apperr.Invalid, Message: "请填写令牌名称", Fields: map[string]string{"name": "请填写令牌名称"}}
	}
	plain, th := newToken()
	now := s.now().UTC()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, kind, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			th, userID, KindAPIToken, name, now, now.Add(APITokenTTL)); err != nil {
			return fmt.Errorf("create api token: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor.Actor(), Action: "token", Entity: "user", EntityID: userID, Summary: "签发接口令牌 " + name})
	})
	return plain, err
}

// UserBySubject finds the login of a subject, if any (members, providers, banks).
func (s *Service) UserByUsername(ctx context.Context, username string) (User, error) {
	u, _, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, apperr.New(apperr.NotFound, "用户不存在："+username)
	}
	return u, err
}

// Throttle counts failed logins per user name and per client and blocks both after too many.
type Throttle struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	fails  map[string][]time.Time
	now    func() time.Time
}

// NewThrottle blocks a key after max failures within window, for window.
func NewThrottle(max int, window time.Duration) *Throttle {
	return &Throttle{max: max, window: window, fails: map[string][]time.Time{}, now: time.Now}
}

func (t *Throttle) recent(k string) []time.Time {
	cut := t.now().Add(-t.window)
	l := t.fails[k]
	i := 0
	for i < len(l) && l[i].Before(cut) {
		i++
	}
	l = l[i:]
	if len(l) == 0 {
		delete(t.fails, k)
	} else {
		t.fails[k] = l
	}
	return l
}

// Blocked returns how long user or client must still wait (0 when allowed).
func (t *Throttle) Blocked(user, client string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	// a client (one address, often a whole township office behind NAT) may fail more often than one user name
	for i, k := range []string{"u:" + user, "c:" + client} {
		l := t.recent(k)
		limit := t.max
		if i == 1 {
			limit = t.max * 4
		}
		if len(l) >= limit {
			if w := l[len(l)-1].Add(t.window).Sub(t.now()); w > wait {
				wait = w
			}
		}
	}
	return wait
}

// Fail records a failure.
func (t *Throttle) Fail(user, client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.fails["u:"+user] = append(t.fails["u:"+user], now)
	t.fails["c:"+client] = append(t.fails["c:"+client], now)
}

// Success clears the user's failures.
func (t *Throttle) Success(user, client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, "u:"+user)
}

// SetLimit changes the limits (tests).
func (t *Throttle) SetLimit(max int, window time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.max, t.window = max, window
}
