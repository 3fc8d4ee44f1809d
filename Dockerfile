# The Architecture Playground in a container: slim Python 3.12, PyTorch's CPU wheel, a non-root user.
#
#   docker build -t playground .
#   docker run -p 8501:8501 -e STREAMLIT_SERVER_COOKIE_SECRET="$(openssl rand -hex 32)" playground
#
# Python 3.12 on x86_64 is what the CPU-wheel line of requirements.txt is marked for, so the image gets the
# ~190 MB CPU build instead of PyPI's CUDA one. Built for another architecture it gets PyPI's torch==2.13.0.
FROM python:3.12-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin playground
WORKDIR /app

# Dependencies before the code, so that editing the app does not download torch again
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The code stays owned by root: the app's user can read it, not change it
COPY . .
USER 10001

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"]

# .streamlit/config.toml in the image sets headless, the upload limit and the theme; the replica-wide
# settings come from the environment (STREAMLIT_SERVER_COOKIE_SECRET, PLAYGROUND_MAX_JOBS).
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
