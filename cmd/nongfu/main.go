// Command nongfu is the whole platform in one binary: serve, migrate, demo, user, import, export, audit, backup.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "nongfu:", err)
		os.Exit(1)
	}
}

const usage = `nongfu — 农服通：新型为农服务体系数字化平台

用法：
  nongfu serve  [--addr :8080] [--db sqlite:FILE | --db postgres://…] [--demo] [--households N]
  nongfu migrate [--db …]
  nongfu demo   [--db …] [--households N] [--seed N]
  nongfu user add --username NAME --role ROLE [--scope CODE] [--subject ID] [--password PW] [--db …]
  nongfu user list [--db …]
  nongfu user passwd --username NAME [--password PW] [--db …]
  nongfu import subjects|members|plots|memberships FILE [--db …] [--errors OUT.xlsx]
  nongfu export subjects [--format csv|xlsx] [--db …] > FILE
  nongfu audit verify [--db …]
  nongfu backup FILE [--db …]
  nongfu keygen
  nongfu bench [--rows N] [--db …]
  nongfu solve cvrp|vrptw INSTANCE [--time-limit 10s] [--seed 1] [--workers 1]
  nongfu scorecard fit --csv FILE [--target class] [--bad bad] [--folds 5] [--repeats 2] [--seed 1] [--out model.json]

环境变量：NONGFU_DB（默认 sqlite:nongfu.db）、NONGFU_ADDR、NONGFU_KEY / NONGFU_KEY_FILE（个人信息加密密钥）。
`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return nil
	}
	env := Env{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, env, args[1:])
	case "migrate":
		return cmdMigrate(ctx, env, args[1:])
	case "demo":
		return cmdDemo(ctx, env, args[1:])
	case "user":
		return cmdUser(ctx, env, args[1:])
	case "import":
		return cmdImport(ctx, env, args[1:])
	case "export":
		return cmdExport(ctx, env, args[1:])
	case "audit":
		return cmdAudit(ctx, env, args[1:])
	case "backup":
		return cmdBackup(ctx, env, args[1:])
	case "keygen":
		return cmdKeygen(env)
	case "bench":
		return cmdBench(ctx, env, args[1:])
	case "scorecard":
		return cmdScorecard(ctx, env, args[1:])
	case "solve":
		return cmdSolve(ctx, env, args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("未知命令 %q\n%s", args[0], usage)
}

// Env is what commands get from the outside world.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}
