# One image, two processes: the fairfront service (FastAPI) and its web page (Streamlit).
# docker-compose.yml runs each as its own container from this image; `fairfront serve`
# runs both in one process tree on 127.0.0.1 outside a container.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FAIRFRONT_MODELS_DIR=/data/models

# libgomp1: OpenMP for scikit-learn and onnxruntime wheels.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 fairfront
WORKDIR /opt/fairfront

# Dependencies first, so a source change does not reinstall them.
COPY pyproject.toml README.md ./
COPY app/__init__.py app/__init__.py
COPY backend/fairfront/__init__.py backend/fairfront/__init__.py
RUN pip install -e ".[export]"

# The sources: the editable install points at them, and `fairfront serve` finds
# frontend/ beside the app package.
COPY app app
COPY backend backend
COPY frontend frontend
COPY prompts prompts

RUN mkdir -p /data/models && chown -R fairfront /data
USER fairfront
VOLUME ["/data"]
EXPOSE 8000 8501

# Default: the service. The web page is the same image with another command (see compose).
CMD ["fairfront", "api", "--host", "0.0.0.0", "--port", "8000"]
