"""The fairfront web service: FastAPI routers over services over the ML core and a store."""
