from snnmodels.cli import main

main()
