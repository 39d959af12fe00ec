from hrpolicy.main import console_main

console_main()
