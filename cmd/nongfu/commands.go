package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"nongfu/internal/app"
	"nongfu/internal/demo"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/imports"
	"nongfu/internal/platform/pii"
	"nongfu/internal/registry"
	"nongfu/internal/tabular"
)

// common flags of every command that opens the database.
type dbFlags struct {
	dsn     string
	keyFile string
}

func (f *dbFlags) register(fs *flag.FlagSet, env Env) {
	def := env.Getenv("NONGFU_DB")
	if def == "" {
		def = "sqlite:nongfu.db"
	}
	fs.StringVar(&f.dsn, "db", def, "数据库：sqlite:文件 或 postgres://…")
	fs.StringVar(&f.keyFile, "key-file", env.Getenv("NONGFU_KEY_FILE"), "个人信息加密密钥文件")
}

func (f *dbFlags) open(ctx context.Context, env Env, demoDB bool, log *slog.Logger) (*app.App, error) {
	return app.Open(ctx, app.Config{DSN: f.dsn, Key: env.Getenv("NONGFU_KEY"), KeyFile: f.keyFile, Demo: demoDB, Log: log})
}

func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	// flags may come before or after positional arguments
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func newLogger(w interface{ Write([]byte) (int, error) }) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func cmdServe(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs, env)
	addrDef := env.Getenv("NONGFU_ADDR")
	if addrDef == "" {
		addrDef = ":8080"
	}
	addr := fs.String("addr", addrDef, "监听地址")
	withDemo := fs.Bool("demo", false, "空库时载入巫山县演示数据，并创建各角色演示账号")
	households := fs.Int("households", 2000, "演示数据的农户数（每个区县）")
	counties := fs.Int("counties", 0, "巫山县以外再载入的重庆市区县数（0–37，其乡镇村为虚构；37 个约为一个省的规模）")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	log := newLogger(env.Stderr)
	a, err := dbf.open(ctx, env, *withDemo, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if *withDemo {
		n, err := a.SubjectCount(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			start := time.Now()
			log.Info("loading demo data", "households", *households, "counties", 1+*counties)
			if _, err := loadDemo(ctx, a, demo.Options{Households: *households, Counties: *counties, Seed: 1}); err != nil {
				return fmt.Errorf("载入演示数据：%w", err)
			}
			log.Info("demo data loaded", "seconds", time.Since(start).Seconds())
		}
	}
	isDemo := a.IsDemo(ctx)
	srv := a.BuildServer(isDemo)
	// behind an HTTPS reverse proxy the session cookie must carry the Secure flag
	srv.Secure = env.Getenv("NONGFU_COOKIE_SECURE") == "1"
	hs := &http.Server{Addr: *addr, Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *addr, err)
	}
	url := "http://" + displayAddr(ln.Addr().String())
	fmt.Fprintf(env.Stdout, "农服通已启动：%s  （数据库：%s）\n", url, a.DB.Engine())
	if isDemo {
		fmt.Fprintln(env.Stdout, "演示账号（密码均为 "+demo.DemoPassword+"）：")
		for _, acc := range demo.Accounts() {
			fmt.Fprintf(env.Stdout, "  %-18s %s\n", acc.Username, acc.Label)
		}
	} else if n, _ := a.Auth.CountUsers(ctx); n == 0 {
		fmt.Fprintln(env.Stdout, "数据库中还没有用户：请先运行 nongfu user add --username admin --role county_admin --scope 500237000000")
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "inflight", srv.Inflight())
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	return nil
}

func displayAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func loadDemo(ctx context.Context, a *app.App, opt demo.Options) (demo.Result, error) {
	res, err := demo.Load(ctx, a.DB, a.Regions, a.Registry, a.Auth, opt)
	if err != nil {
		return res, err
	}
	if err := a.AfterDemo(ctx, res); err != nil {
		return res, err
	}
	_, err = a.DB.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('demo', '1')`)
	return res, err
}

func cmdMigrate(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs, env)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	a, err := dbf.open(ctx, env, false, newLogger(env.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintln(env.Stdout, "数据库结构已是最新")
	return nil
}

func cmdDemo(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs, env)
	households := fs.Int("households", 2000, "每个区县的农户数（全县约 200000）")
	counties := fs.Int("counties", 0, "巫山县以外再载入的重庆市区县数（0–37，其乡镇村为虚构；37 个约为一个省的规模）")
	seed := fs.Int64("seed", 1, "随机种子：同一种子生成同样的数据")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	a, err := dbf.open(ctx, env, true, newLogger(env.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	res, err := loadDemo(ctx, a, demo.Options{Households: *households, Counties: *counties, Seed: *seed})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "演示数据已载入：主体 %d（农户 %d），家庭成员 %d，地块 %d，用户 %d，用时 %.1f 秒\n",
		res.Subjects, res.Households, res.Members, res.Plots, res.Users, time.Since(start).Seconds())
	return nil
}

func cmdUser(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return errors.New("用法：nongfu user add|list|passwd …")
	}
	fs := flag.NewFlagSet("user", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs, env)
	username := fs.String("username", "", "用户名")
	role := fs.String("role", "", "角色："+roleKeys())
	scope := fs.String("scope", "", "管辖区域（12位区划代码，多个用逗号分隔）")
	subject := fs.Int64("subject", 0, "关联主体编号")
	password := fs.String("password", "", "密码（留空则从标准输入读取一行）")
	display := fs.String("name", "", "显示名称")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	a, err := dbf.open(ctx, env, false, newLogger(env.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	readPw := func() (string, error) {
		if *password != "" {
			return *password, nil
		}
		fmt.Fprint(env.Stderr, "密码：")
		var line string
		if _, err := fmt.Fscanln(env.Stdin, &line); err != nil {
			return "", errors.New("请用 --password 或标准输入提供密码")
		}
		return strings.TrimSpace(line), nil
	}
	switch args[0] {
	case "add":
		pw, err := readPw()
		if err != nil {
			return err
		}
		var scopes []string
		if *scope != "" {
			scopes = strings.Split(*scope, ",")
		}
		u, err := a.Auth.CreateUser(ctx, nil, auth.NewUser{Username: *username, DisplayName: *display, Role: auth.Role(*role), Scopes: scopes, SubjectID: *subject, Password: pw})
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(env.Stdout, "已创建用户 %s（%s）\n", u.Username, u.Role.Label())
	case "list":
		us, err := a.Auth.ListUsers(ctx)
		if err != nil {
			return err
		}
		for _, u := range us {
			fmt.Fprintf(env.Stdout, "%-20s %-18s %-8s %s\n", u.Username, u.Role, map[bool]string{true: "启用", false: "停用"}[u.Active], strings.Join(u.Scopes, ","))
		}
	case "passwd":
		u, err := a.Auth.UserByUsername(ctx, *username)
		if err != nil {
			return explain(err)
		}
		pw, err := readPw()
		if err != nil {
			return err
		}
		if msg := auth.CheckPasswordPolicy(pw); msg != "" {
			return errors.New(msg)
		}
		if err := a.Auth.SetPassword(ctx, nil, u.ID, pw); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "密码已修改")
	default:
		return fmt.Errorf("未知的 user 子命令 %q", args[0])
	}
	return nil
}

func roleKeys() string {
	var out []string
	for _, r := range auth.Roles {
		out = append(out, string(r))
	}
	return strings.Join(out, ", ")
}

// explain turns application errors into one readable line with field messages.
func explain(err error) error {
	var parts []string
	if fe := fieldsOf(err); len(fe) > 0 {
		for k, v := range fe {
			parts = append(parts, k+": "+v)
		}
		return fmt.Errorf("%s（%s）", messageOf(err), strings.Join(parts, "；"))
	}
	return err
}

// cliPrincipal acts for the command line: the county administrator of every county in the database.
func cliPrincipal(a *app.App) *auth.Principal {
	var scopes []string
	for _, c := range a.Regions.Counties() {
		scopes = append(scopes, c.Code)
	}
	return &auth.Principal{UserID: 0, Username: "cli", DisplayName: "命令行", Role: auth.CountyAdmin, Scopes: scopes}
}

func cmdImport(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs, env)
	errOut := fs.String("errors", "", "把有误的行写入此 .xlsx 文件")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return errors.New("用法：nongfu import KIND FILE [--errors OUT.xlsx]（KIND 如 subjects、members、plots、memberships；写错时列出全部可导入的表）")
	}
	a, err := dbf.open(ctx, env, false, newLogger(env.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	imp, ok := a.Importer(pos[0])
	if !ok {
		var names []string
		for _, i := range a.Importers() {
			names = append(names, i.Name())
		}
		return fmt.Errorf("不能导入 %q：可导入 %s", pos[0], strings.Join(names, "、"))
	}
	f, err := os.Open(pos[1])
	if err != nil {
		return err
	}
	defer f.Close()
	last := time.Now()
	res, err := imports.Run(ctx, a.DB, imp, cliPrincipal(a), f, pos[1], func(done, total int) {
		if time.Since(last) > 2*time.Second {
			last = time.Now()
			fmt.Fprintf(env.Stderr, "已处理 %d / %d 行\n", done, total)
		}
	})
	if err != nil {
		return explain(err)
	}
	for i, e := range res.Errors {
		if i == 50 {
			fmt.Fprintf(env.Stderr, "……另有 %d 处错误\n", len(res.Errors)-50)
			break
		}
		fmt.Fprintf(env.Stderr, "第 %d 行 %s：%s\n", e.Line, e.Column, e.Message)
	}
	if *errOut != "" && res.Rejected > 0 {
		out, err := os.Create(*errOut)
		if err != nil {
			return err
		}
		if err := res.ErrorWorkbook(out); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	fmt.Fprintln(env.Stdout, res.Summary())
	return nil
}

func cmdExport(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs, env)
	format := fs.String("format", "xlsx", "csv 或 xlsx")
	kind := fs.String("kind", "", "只导出某类主体")
	region := fs.String("region", "", "只导出某区域（区划代码）")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "subjects" {
		return errors.New("用法：nongfu export subjects [--format csv|xlsx] > FILE")
	}
	a, err := dbf.open(ctx, env, false, newLogger(env.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	p := cliPrincipal(a)
	f := registry.Filter{Kind: *kind, RegionCode: *region, Status: "all"}
	switch *format {
	case "csv":
		var rows [][]string
		if err := a.Registry.Each(ctx, p, f, func(x *registry.Subject) error { rows = append(rows, a.Registry.ExportRow(x)); return nil }); err != nil {
			return err
		}
		return tabular.WriteCSV(env.Stdout, registry.ExportHeader(), rows, true)
	case "xlsx":
		st, err := tabular.NewXLSXStream(env.Stdout, tabular.Sheet{Name: "主体名录", Header: registry.ExportHeader()})
		if err != nil {
			return err
		}
		if err := a.Registry.Each(ctx, p, f, func(x *registry.Subject) error { return st.Write(a.Registry.ExportRow(x)) }); err != nil {
			return err
		}
		return st.Close()
	}
	return fmt.Errorf("未知格式 %q：应为 csv 或 xlsx", *format)
}

func cmdAudit(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("用法：nongfu audit verify [--db …]")
	}
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs, env)
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	a, err := dbf.open(ctx, env, false, newLogger(env.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := audit.Verify(ctx, a.DB)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "审计链完整：%d 条记录\n", n)
	return nil
}

func cmdBackup(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs, env)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("用法：nongfu backup FILE [--db …]")
	}
	a, err := dbf.open(ctx, env, false, newLogger(env.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Backup(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "已备份到 %s\n", pos[0])
	return nil
}

func cmdKeygen(env Env) error {
	fmt.Fprintln(env.Stdout, pii.EncodeKey(pii.NewKey()))
	return nil
}
