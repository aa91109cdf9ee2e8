// Camera → QR text, decoded in the browser with the vendored jsQR (window.jsQR).

export class Scanner {
  constructor(video, onText, onStatus) {
    this.video = video;
    this.onText = onText;
    this.onStatus = onStatus || (() => {});
    this.canvas = document.createElement("canvas");
    this.context = this.canvas.getContext("2d", { willReadFrequently: true });
    this.stream = null;
    this.timer = null;
  }

  get running() {
    return this.stream !== null;
  }

  async start() {
    if (this.running) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error("This browser cannot use the camera here (it needs https or localhost). Type or paste the code instead.");
    }
    if (typeof window.jsQR !== "function") throw new Error("The QR decoder did not load.");
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (err) {
      const why = {
        NotAllowedError: "camera permission was refused",
        NotFoundError: "no camera was found",
        NotReadableError: "the camera is in use by another app",
      }[err.name] || err.message;
      throw new Error(`The camera could not start: ${why}. Type or paste the code instead.`);
    }
    this.video.srcObject = this.stream;
    this.video.hidden = false;
    await this.video.play().catch(() => {});
    this.onStatus("Camera on: point it at the code.");
    this.tick();
  }

  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.video.hidden = true;
  }

  tick() {
    if (!this.running) return;
    const v = this.video;
    if (v.readyState >= 2 && v.videoWidth > 0) {
      const scale = Math.min(1, 800 / Math.max(v.videoWidth, v.videoHeight));
      const w = Math.round(v.videoWidth * scale);
      const h = Math.round(v.videoHeight * scale);
      this.canvas.width = w;
      this.canvas.height = h;
      this.context.drawImage(v, 0, 0, w, h);
      const image = this.context.getImageData(0, 0, w, h);
      const found = window.jsQR(image.data, w, h, { inversionAttempts: "attemptBoth" });
      if (found && found.data) {
        try {
          this.onText(found.data);
        } catch (err) {
          console.error(err);
        }
      }
    }
    if (this.running) this.timer = setTimeout(() => this.tick(), 150);
  }
}
