from apiserver import cli

raise SystemExit(cli.main())
