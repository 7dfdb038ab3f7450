"""English for upload checks shared by every area (market/storage.py)."""

T = {
    "压缩文件内含不安全的路径（%(name)s），已拒收。": "The archive contains an unsafe path (%(name)s) and was refused.",
    "压缩文件内的文件过多或解压后过大，已拒收。": "The archive holds too many files or is too large when unpacked, and was refused.",
    "压缩文件已损坏，无法读取。": "The archive is damaged and cannot be read.",
    "存储空间不足，文件未保存。请稍后重试，或联系平台运维人员。": "The file store is full; the file was not saved. Please try again later or contact the platform's operators.",
}
