// Importing files from a web page through the signed-import module.
//
// One PUT: POST /import, then fetch() PUTs the file to the signed URL with the signed headers.
// In parts: Uppy's S3 plugin (@uppy/aws-s3), its callbacks mapped onto the module's routes; an
// upload interrupted by a reload resumes from the parts S3 already holds (GET .../parts).
// The module signs every header it names; the page sends them all, except Content-Length,
// which the browser sets itself from the body (and refuses to let scripts set).
import { AwsS3, Uppy } from "./node_modules/uppy/dist/uppy.min.mjs";

const PART_SIZE = 5 * 1024 * 1024; // S3's minimum part; the API plans exactly these parts when asked

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
$("api").value = query.get("api") ?? "";
$("token").value = query.get("token") ?? "";
$("apiKey").value = query.get("api_key") ?? "";

// What happened, for the reader and for tests.
const state = { results: [], errors: [], partsUploaded: 0, awsS3Version: AwsS3.VERSION };
window.signedImport = state;

class ApiError extends Error {
  constructor(status, error) {
    super(`${status} ${error.code}: ${error.message}`);
    this.status = status;
    this.code = error.code;
  }
}

// The stage URL (the module's invoke_url output) or the import URL (import_url): either works.
const stageUrl = () => $("api").value.trim().replace(/\/+$/, "").replace(/\/import$/, "");

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${$("token").value}` };
  // With usage plans, the consumer's API key comes on top of the token (never to S3).
  const apiKey = $("apiKey").value.trim();
  if (apiKey) headers["x-api-key"] = apiKey;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(stageUrl() + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const answer = text ? JSON.parse(text) : null;
  if (!response.ok) {
    throw new ApiError(response.status, answer?.error ?? { code: "HttpError", message: text });
  }
  return answer;
}

const contentType = (file) => file.type || "application/octet-stream";
const sendable = (headers) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== "content-length"));

function show(text, kind = "") {
  $("status").textContent = text;
  $("status").className = kind;
}

function record(file, imported) {
  state.results.push(imported);
  const item = document.createElement("li");
  item.className = "ok";
  item.textContent = `${file.name}: ${imported.status}, ${imported.size} bytes, `;
  const key = document.createElement("code");
  key.textContent = imported.key;
  item.append(key);
  $("results").append(item);
  show(`Imported ${file.name}.`, "ok");
}

function fail(err) {
  state.errors.push(String(err?.message ?? err));
  show(`Failed: ${err?.message ?? err}`, "error");
}

// One PUT with fetch.
async function uploadInOnePut(file) {
  const created = await api("POST", "/import", {
    size: file.size,
    content_type: contentType(file),
    multipart: false,
  });
  const { url, headers } = created.upload;
  const put = await fetch(url, { method: "PUT", headers: sendable(headers), body: file });
  if (!put.ok) throw new Error(`S3 refused the PUT: ${put.status} ${await put.text()}`);
  $("progress").value = 1;
  return api("GET", `/import/${created.import_id}`); // "complete": S3 itself holds the object
}

// In parts with Uppy. The import id is Uppy's uploadId; signed part URLs are kept until a
// minute before they expire.
const signed = new Map(); // "<import id>/<part number>" -> {url, headers, expires}
// Files at or below PART_SIZE go up in one PUT (Uppy's getUploadParameters): their import ids.
const singlePuts = new Map(); // Uppy file id -> import id
const resumeKey = (file) => `signed-import:${file.name}:${file.size}:${file.lastModified}`;

function remember(importId, expiresAt, parts) {
  for (const part of parts) {
    signed.set(`${importId}/${part.part_number}`, { ...part, expires: Date.parse(expiresAt) });
  }
}

const uppy = new Uppy({ autoProceed: false }).use(AwsS3, {
  shouldUseMultipart: (file) => file.size > PART_SIZE,
  getChunkSize: () => PART_SIZE,

  async getUploadParameters(file) {
    const created = await api("POST", "/import", {
      size: file.size,
      content_type: contentType(file),
      multipart: false,
    });
    singlePuts.set(file.id, created.import_id);
    const { url, headers } = created.upload;
    return { method: "PUT", url, headers: sendable(headers), fields: { key: created.key } };
  },

  async createMultipartUpload(file) {
    const created = await api("POST", "/import", {
      size: file.size,
      content_type: contentType(file),
      multipart: true,
      part_size: PART_SIZE,
    });
    remember(created.import_id, created.expires_at, created.upload.parts);
    const upload = { uploadId: created.import_id, key: created.key };
    localStorage.setItem(resumeKey(file.data), JSON.stringify(upload));
    return upload;
  },

  async signPart(file, { uploadId, partNumber }) {
    let part = signed.get(`${uploadId}/${partNumber}`);
    if (part === undefined || part.expires - Date.now() < 60_000) {
      const answer = await api("POST", `/import/${uploadId}/parts`, { part_numbers: [partNumber] });
      remember(uploadId, answer.expires_at, answer.parts);
      part = signed.get(`${uploadId}/${partNumber}`);
    }
    return { method: "PUT", url: part.url, headers: sendable(part.headers) };
  },

  async listParts(file, { uploadId }) {
    const { parts } = await api("GET", `/import/${uploadId}/parts`);
    return parts.map((part) => ({ PartNumber: part.part_number, Size: part.size, ETag: part.etag }));
  },

  async completeMultipartUpload(file, { uploadId, parts }) {
    const done = await api("POST", `/import/${uploadId}/complete`, {
      parts: parts.map((part) => ({ part_number: part.PartNumber, etag: part.ETag })),
    });
    localStorage.removeItem(resumeKey(file.data));
    return { location: done.key };
  },

  async abortMultipartUpload(file, { uploadId }) {
    localStorage.removeItem(resumeKey(file.data));
    await api("DELETE", `/import/${uploadId}`);
  },
});

uppy.on("upload-progress", (file, progress) => {
  $("progress").value = progress.bytesTotal ? progress.bytesUploaded / progress.bytesTotal : 1;
});
uppy.on("s3-multipart:part-uploaded", () => {
  state.partsUploaded += 1;
});

async function uploadInParts(file) {
  uppy.cancelAll();
  const id = uppy.addFile({ name: file.name, type: contentType(file), data: file, source: "page" });
  const saved = localStorage.getItem(resumeKey(file));
  if (saved !== null) {
    // A reload interrupted this file's upload: Uppy asks listParts and sends only the rest.
    uppy.setFileState(id, { s3Multipart: JSON.parse(saved) });
    show(`Resuming ${file.name}…`);
  }
  const outcome = await uppy.upload();
  if (outcome.failed.length > 0) throw outcome.failed[0].error ?? new Error("upload failed");
  // In parts, the import id is Uppy's uploadId; in one PUT, getUploadParameters noted it.
  const importId = uppy.getFile(id).s3Multipart?.uploadId ?? singlePuts.get(id);
  singlePuts.delete(id);
  if (importId === undefined) throw new Error("Uppy finished without an import id");
  $("progress").value = 1;
  return api("GET", `/import/${importId}`); // "complete": S3 itself holds the object
}

for (const [button, upload] of [["single", uploadInOnePut], ["multipart", uploadInParts]]) {
  $(button).addEventListener("click", async () => {
    const file = $("file").files[0];
    if (file === undefined) return show("Choose a file first.", "error");
    show(`Uploading ${file.name}…`);
    $("progress").value = 0;
    try {
      record(file, await upload(file));
    } catch (err) {
      fail(err);
    }
  });
}
