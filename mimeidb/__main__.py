from mimeidb.cli.main import main

raise SystemExit(main())
