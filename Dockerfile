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

# Build the wheel in a throw-away stage's folder, then install only the wheel: the image
# holds the package (the web page and prompt templates inside it), not the sources.
COPY pyproject.toml README.md ./
COPY app app
COPY backend backend
RUN pip wheel --no-deps --wheel-dir /tmp/wheels . \
    && pip install "$(ls /tmp/wheels/fairfront-*.whl)[export]" \
    && rm -rf /tmp/wheels /opt/fairfront/*

RUN mkdir -p /data/models && chown -R fairfront /data
USER fairfront
VOLUME ["/data"]
EXPOSE 8000 8501

# Default: the service. The web page is the same image with `fairfront page` (see compose).
CMD ["fairfront", "api", "--host", "0.0.0.0", "--port", "8000"]
