from services.enrollment.server import main

main()
