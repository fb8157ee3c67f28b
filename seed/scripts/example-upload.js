// Forms and uploads: POST multipart/form-data or urlencoded to /examples/upload.
register("/examples/upload", function (req) {
  return {
    body: {
      fields: req.form,
      files: req.files.map((f) => ({ name: f.name, filename: f.filename, contentType: f.contentType, size: f.size })),
    },
  };
}, "POST");

register("/examples/upload", function () {
  return `<!doctype html>
<form method="post" enctype="multipart/form-data">
  <input name="title" placeholder="title"> <input type="file" name="file" multiple>
  <button>Upload</button>
</form>`;
}, "GET");
