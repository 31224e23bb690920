# The gunicorn command lines of docs/guides/processes.md; tests/test_docs_processes.py checks
# that the end-to-end tests run exactly these options.
# --8<-- [start:gunicorn]
gunicorn myproject.wsgi:application --workers 2 --bind 0.0.0.0:8000
gunicorn myproject.wsgi:application --worker-class gthread --threads 4 --workers 2 --bind 0.0.0.0:8000
# --8<-- [end:gunicorn]
# --8<-- [start:eager]
gunicorn myproject.wsgi:application --config gunicorn.conf.py --workers 2 --bind 0.0.0.0:8000
# --8<-- [end:eager]
