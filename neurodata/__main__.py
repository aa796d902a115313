from neurodata.cli import main

main()
