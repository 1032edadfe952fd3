FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir -e .
COPY . .
RUN DJANGO_DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput
RUN python scripts/compile-messages
EXPOSE 8000
CMD ["uvicorn", "omnidesk.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
