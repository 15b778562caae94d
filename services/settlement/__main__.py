from services.settlement.server import main

main()
