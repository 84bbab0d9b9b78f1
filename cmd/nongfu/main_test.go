package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"nongfu/internal/tabular"
	"nongfu/internal/validate"
)

// cli runs the command line in-process, as the binary would.
func cli(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := func(string) string { return "" }
	err := run(context.Background(), args, env, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestDemoExportImportRoundTripAndAudit(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "n.db")
	if out, _, err := cli(t, "", "demo", "--db", dsn, "--households", "60"); err != nil || !strings.Contains(out, "演示数据已载入") {
		t.Fatalf("demo: %v %s", err, out)
	}
	for _, format := range []string{"csv", "xlsx"} {
		out, _, err := cli(t, "", "export", "subjects", "--format", format, "--db", dsn)
		if err != nil || len(out) < 1000 {
			t.Fatalf("export %s: %v (%d bytes)", format, err, len(out))
		}
		file := filepath.Join(dir, "export."+format)
		os.WriteFile(file, []byte(out), 0o644)
		res, _, err := cli(t, "", "import", "subjects", file, "--db", dsn)
		if err != nil {
			t.Fatalf("import %s: %v", format, err)
		}
		var imported, updated, rejected int
		if _, err := fmt.Sscanf(strings.TrimSpace(res), "imported %d, updated %d, rejected %d", &imported, &updated, &rejected); err != nil {
			t.Fatalf("summary line %q: %v", res, err)
		}
		if imported != 0 || rejected != 0 || updated < 60 {
			t.Fatalf("round trip %s: %s", format, res)
		}
	}
	// a file with one bad row: the good row lands, the bad one goes to the error workbook
	good := "500237198805060017"
	c, _ := validate.IDNumberCheckChar(good[:17])
	good = good[:17] + string(c)
	bad := good[:17] + map[bool]string{true: "1", false: "0"}[good[17] == '0']
	var buf bytes.Buffer
	tabular.WriteCSVGB18030(&buf, []string{"主体类型", "名称", "身份证号", "乡镇", "村社区"}, [][]string{
		{"农户", "命令行甲", good, "骡坪镇", "骡坪村"},
		{"农户", "命令行乙", bad, "骡坪镇", "骡坪村"},
	})
	file := filepath.Join(dir, "gbk.csv")
	os.WriteFile(file, buf.Bytes(), 0o644)
	errFile := filepath.Join(dir, "errors.xlsx")
	res, stderr, err := cli(t, "", "import", "subjects", file, "--db", dsn, "--errors", errFile)
	if err != nil || strings.TrimSpace(res) != "imported 1, updated 0, rejected 1" || !strings.Contains(stderr, "第 3 行") {
		t.Fatalf("import with a bad row: %v %q %q", err, res, stderr)
	}
	if f, err := os.Open(errFile); err != nil {
		t.Fatalf("no error workbook: %v", err)
	} else {
		_, rows, err := tabular.ReadAll(f, errFile)
		f.Close()
		if err != nil || len(rows) != 1 {
			t.Fatalf("error workbook rows: %d %v", len(rows), err)
		}
	}
	// an unreadable file is fatal: non-zero exit
	os.WriteFile(filepath.Join(dir, "x.csv"), []byte("a,b\n1,2\n"), 0o644)
	if _, _, err := cli(t, "", "import", "subjects", filepath.Join(dir, "x.csv"), "--db", dsn); err == nil {
		t.Fatal("import without the required columns succeeded")
	}

	out, _, err := cli(t, "", "audit", "verify", "--db", dsn)
	if err != nil || !strings.Contains(out, "审计链完整") {
		t.Fatalf("audit verify: %v %s", err, out)
	}
	// tamper with one record behind the application's back
	raw, err := sql.Open("sqlite", filepath.Join(dir, "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE audit_log SET summary = '篡改' WHERE seq = 5`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, _, err := cli(t, "", "audit", "verify", "--db", dsn); err == nil || !strings.Contains(err.Error(), "第 5 条") {
		t.Fatalf("tampering not reported: %v", err)
	}
}

func TestUserAddOnEmptyDatabase(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "e.db")
	if _, _, err := cli(t, "", "user", "add", "--username", "admin", "--role", "county_admin", "--scope", "500237000000", "--password", "short", "--db", dsn); err == nil {
		t.Fatal("weak password accepted")
	}
	if out, _, err := cli(t, "Secret123\n", "user", "add", "--username", "admin", "--role", "county_admin", "--scope", "500237000000", "--db", dsn); err != nil || !strings.Contains(out, "已创建用户 admin") {
		t.Fatalf("user add: %v %s", err, out)
	}
	if out, _, err := cli(t, "", "user", "list", "--db", dsn); err != nil || !strings.Contains(out, "county_admin") {
		t.Fatalf("user list: %v %s", err, out)
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestServeBackupAndShutdown: the server comes up with the demo, a backup is taken while it serves, and it stops
// cleanly when told to.
func TestServeBackupAndShutdown(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "s.db")
	addr := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--db", dsn, "--demo", "--households", "40"}, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	}()
	up := false
	for i := 0; i < 200 && !up; i++ {
		time.Sleep(100 * time.Millisecond)
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			up = resp.StatusCode == 200
			resp.Body.Close()
		}
	}
	if !up {
		cancel()
		t.Fatalf("server not healthy: %s", errOut.String())
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("metrics: %v", err)
	}
	resp.Body.Close()
	backup := filepath.Join(dir, "backup.db")
	if o, _, err := cli(t, "", "backup", backup, "--db", dsn); err != nil || !strings.Contains(o, "已备份") {
		t.Fatalf("backup while serving: %v %s", err, o)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not shut down")
	}
	if !strings.Contains(out.String(), "county_admin") || !strings.Contains(out.String(), "nongfu-demo") {
		t.Fatalf("demo accounts not printed: %s", out.String())
	}
	// the backup is a complete database that opens with the same key
	os.Rename(filepath.Join(dir, "s.db.key"), backup+".key")
	if o, _, err := cli(t, "", "audit", "verify", "--db", "sqlite:"+backup); err != nil || !strings.Contains(o, "审计链完整") {
		t.Fatalf("backup does not verify: %v %s", err, o)
	}
}
