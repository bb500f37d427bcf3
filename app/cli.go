package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"curfew/password"
	"curfew/store"
)

type userCreateOpts struct {
	account, email, role, name string
}

func parseUserCreate(args []string) (userCreateOpts, error) {
	var o userCreateOpts
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.account, "account", "", "account name")
	fs.StringVar(&o.email, "email", "", "email address")
	fs.StringVar(&o.role, "role", "", "owner or engineer")
	fs.StringVar(&o.name, "name", "", "display name")
	if err := fs.Parse(args); err != nil {
		return o, UsageError{"user create: " + err.Error()}
	}
	var missing []string
	for _, f := range []struct{ flag, value string }{{"--account", o.account}, {"--email", o.email}, {"--role", o.role}} {
		if f.value == "" {
			missing = append(missing, f.flag)
		}
	}
	if len(missing) > 0 {
		return o, UsageError{"user create needs " + strings.Join(missing, ", ")}
	}
	if o.role != store.RoleOwner && o.role != store.RoleEngineer {
		return o, UsageError{fmt.Sprintf("--role must be owner or engineer, got %q", o.role)}
	}
	for _, f := range []struct{ flag, value string }{{"--account", o.account}, {"--email", o.email}, {"--name", o.name}} {
		if err := checkText(f.flag, f.value); err != nil {
			return o, err
		}
	}
	if !strings.Contains(o.email, "@") {
		return o, UsageError{fmt.Sprintf("--email %q is not an email address", o.email)}
	}
	return o, nil
}

func createAccount(ctx context.Context, st *store.Store, name string, stdout io.Writer) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return UsageError{"account name must not be empty"}
	}
	if err := checkText("account name", name); err != nil {
		return err
	}
	a, err := st.CreateAccount(ctx, name)
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("an account named %q already exists", name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created account %q (id %d)\n", a.Name, a.ID)
	return nil
}

func createUser(ctx context.Context, st *store.Store, o userCreateOpts, stdin io.Reader, stdout io.Writer) error {
	acct, err := st.AccountByName(ctx, o.account)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no account named %q: create it first with `curfew account create %s`", o.account, o.account)
	}
	if err != nil {
		return err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return errors.New("no password on stdin: pipe it in, e.g. printf '%s\\n' \"$PASSWORD\" | curfew user create ...")
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	u, err := st.CreateUser(ctx, acct.ID, o.email, o.name, hash, o.role)
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("a user with email %q already exists", o.email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s %s in %q (id %d)\n", u.Role, u.Email, acct.Name, u.ID)
	return nil
}

// demo is what `seed --demo` guarantees exists.
var demo = []struct {
	account string
	users   []struct{ email, name, role, password string }
}{
	{"Acme", []struct{ email, name, role, password string }{
		{"owner@acme.test", "Olivia Owner", store.RoleOwner, "acme-owner-pass"},
		{"engineer@acme.test", "Evan Engineer", store.RoleEngineer, "acme-engineer-pass"},
	}},
	{"Globex", []struct{ email, name, role, password string }{
		{"owner@globex.test", "Grace Owner", store.RoleOwner, "globex-owner-pass"},
	}},
}

// seedDemo creates the demo accounts and users when missing and resets the
// demo passwords, so it can run any number of times.
func seedDemo(ctx context.Context, st *store.Store, stdout io.Writer) error {
	for _, d := range demo {
		acct, err := st.AccountByName(ctx, d.account)
		if errors.Is(err, store.ErrNotFound) {
			acct, err = st.CreateAccount(ctx, d.account)
		}
		if err != nil {
			return err
		}
		for _, du := range d.users {
			hash, err := password.Hash(du.password)
			if err != nil {
				return err
			}
			u, err := st.UserByEmail(ctx, du.email)
			switch {
			case errors.Is(err, store.ErrNotFound):
				if _, err := st.CreateUser(ctx, acct.ID, du.email, du.name, hash, du.role); err != nil {
					return err
				}
			case err != nil:
				return err
			default:
				if err := st.UpdatePassword(ctx, u.ID, hash); err != nil {
					return err
				}
			}
			fmt.Fprintf(stdout, "%-8s %-20s %-9s password: %s\n", d.account, du.email, du.role, du.password)
		}
	}
	return nil
}
